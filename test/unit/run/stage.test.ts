/**
 * The MessageStage seam: a stage sits between client and server without the lifecycle code
 * knowing what it does. Driven through the fake engine like the session tests.
 */
import { PassThrough, Transform } from 'node:stream';
import { runSession } from '../../../src/run/session.js';
import type { MessageStage } from '../../../src/run/stage.js';
import type { FakeBehaviour } from './fake-engine.js';
import { setup as harness } from './session-harness.js';

function identityStage(): MessageStage & { closed: number } {
  const stage = {
    toServer: new PassThrough(),
    toClient: new Transform({ transform: (chunk, _e, cb) => cb(null, chunk) }),
    closed: 0,
    close: async () => {
      stage.closed += 1;
    },
  };
  return stage;
}

function setup(behaviour: FakeBehaviour, stage: MessageStage) {
  return harness(behaviour, { stage });
}

describe('MessageStage', () => {
  test('an identity stage: bytes both ways, client EOF reaches the server through the stage, close() once', async () => {
    const stage = identityStage();
    const t = setup({ onStdin: (c, chunk) => c.print(1, `echo:${chunk.toString()}`), exitOnEof: 0 }, stage);
    const done = runSession(t.options);
    t.stdin.write('hello');
    setTimeout(() => t.stdin.end(), 20);
    const result = await done;
    expect(result).toMatchObject({ exitCode: 0, reason: 'stdin-eof' });
    expect(t.stdout.text()).toBe('echo:hello');
    expect(Buffer.concat(t.engine.container!.stdinChunks).toString()).toBe('hello');
    expect(t.engine.calls).toContain('stdin-eof');
    expect(t.engine.calls).not.toContain('stop');
    expect(stage.closed).toBe(1);
  });

  test('a stage that answers the client itself and rewrites toward the server proves the seam', async () => {
    // Injects a notification toward the client and upper-cases what goes to the server.
    const injected = '{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"from the stage"}}\n';
    const toClient = new PassThrough();
    const stage: MessageStage = {
      toServer: new Transform({ transform: (chunk: Buffer, _e, cb) => cb(null, Buffer.from(chunk.toString().toUpperCase())) }),
      toClient,
      close: async () => undefined,
    };
    const t = setup({ onStdin: (c, chunk) => c.print(1, `server got ${chunk.toString()}\n`), exitOnEof: 0 }, stage);
    const done = runSession(t.options);
    toClient.write(injected);
    t.stdin.write('ping');
    setTimeout(() => t.stdin.end(), 20);
    await done;
    expect(t.stdout.text()).toBe(`${injected}server got PING\n`);
  });

  test('bytes the server writes after stdin EOF still pass through the stage', async () => {
    const t = setup({}, identityStage());
    const done = runSession(t.options);
    await new Promise((r) => setTimeout(r, 10));
    t.stdin.end();
    await new Promise((r) => setTimeout(r, 10));
    expect(t.engine.container!.stdinEnded).toBe(true);
    t.engine.container!.print(1, 'late answer\n');
    t.engine.container!.exit(0);
    await done;
    expect(t.stdout.text()).toBe('late answer\n');
  });

  test('backpressure: a stage that holds bytes delays them, and nothing is lost', async () => {
    const toClient = new Transform({ highWaterMark: 4, transform: (chunk, _e, cb) => setTimeout(() => cb(null, chunk), 1) });
    const stage: MessageStage = { toServer: new PassThrough(), toClient, close: async () => undefined };
    const big = 'x'.repeat(200_000);
    const t = setup({ onStart: (c) => { c.print(1, big); c.exit(0); } }, stage);
    await runSession(t.options);
    expect(t.stdout.text()).toBe(big);
  });
});
