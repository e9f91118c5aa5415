import { SandboxError } from '../../../src/errors.js';
import { EngineConnectionError } from '../../../src/engine/client.js';
import { runSession } from '../../../src/run/session.js';
import { EngineApiError } from './fake-engine.js';
import { setup } from './session-harness.js';

describe('runSession', () => {
  test('registers attach and wait before start, carries stdio both ways, exits with the server code', async () => {
    const t = setup({
      onStdin: (c, chunk) => {
        c.print(1, `echo:${chunk.toString()}`);
        c.print(2, 'log line\n');
      },
      exitOnEof: 3,
    });
    const done = runSession(t.options);
    t.stdin.write('hello');
    setTimeout(() => t.stdin.end(), 20);
    const result = await done;
    expect(result.exitCode).toBe(3);
    expect(t.stdout.text()).toBe('echo:hello');
    expect(t.stderr.text()).toBe('log line\n');
    const order = t.engine.calls;
    expect(order.slice(0, 3)).toEqual(['create', 'attach', 'wait']);
    expect(order.indexOf('start')).toBeGreaterThan(order.indexOf('wait'));
    expect(order).toContain('stdin-eof');
    expect(order).not.toContain('stop');
    expect(order[order.length - 1]).toBe('remove');
  });

  test('the create body has AutoRemove (the engine removes it even if the launcher dies) and carries the launcher labels', async () => {
    const t = setup({ onStart: (c) => c.exit(0) });
    await runSession(t.options);
    const body = t.engine.bodies[0]!;
    expect(body.HostConfig.AutoRemove).toBe(true);
    expect(body.Labels['mcp-sandbox.profile']).toBe('test-everything');
    expect(body.Labels['mcp-sandbox.launcher-pid']).toBe(String(process.pid));
    expect(body.Labels['mcp-sandbox.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.OpenStdin && body.StdinOnce && !body.Tty).toBe(true);
  });

  test('bytes written after stdin EOF still arrive', async () => {
    const t = setup({});
    t.engine.behaviour.onStdin = () => undefined;
    const done = runSession(t.options);
    await new Promise((r) => setTimeout(r, 10));
    t.stdin.end();
    await new Promise((r) => setTimeout(r, 10));
    t.engine.container!.print(1, 'late answer\n');
    t.engine.container!.exit(0);
    const result = await done;
    expect(t.stdout.text()).toBe('late answer\n');
    expect(result.exitCode).toBe(0);
  });

  test('a server that ignores stdin EOF is stopped after the grace period; the session ends 0', async () => {
    const t = setup({ stopCode: 143 });
    const done = runSession(t.options);
    setTimeout(() => t.stdin.end(), 10);
    const result = await done;
    expect(t.engine.calls).toContain('stop');
    expect(result).toMatchObject({ exitCode: 0, reason: 'stdin-eof' });
    expect(t.engine.removed).toEqual(['c0ffee0000000000']);
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s closes stdin, waits, stops, and exits %i', async (signal, code) => {
    const t = setup({ exitOnEof: 0 });
    const done = runSession(t.options);
    setTimeout(() => t.signal(signal), 10);
    const result = await done;
    expect(t.engine.calls).toContain('stdin-eof');
    expect(result).toMatchObject({ exitCode: code, reason: 'signal' });
    expect(t.engine.calls[t.engine.calls.length - 1]).toBe('remove');
  });

  test('a second signal kills at once', async () => {
    const t = setup({}, { stopGrace: 60 });
    const done = runSession(t.options);
    setTimeout(() => {
      t.signal('SIGTERM');
      t.signal('SIGTERM');
    }, 10);
    const result = await done;
    expect(t.engine.calls).toContain('kill');
    expect(result.exitCode).toBe(143);
  });

  test('OOM: exit 137 and a message naming the limit', async () => {
    const t = setup({ onStart: (c) => c.exit(137), oomKilled: true });
    const result = await runSession(t.options);
    expect(result).toMatchObject({ exitCode: 137, oomKilled: true });
    expect(t.warnings).toEqual([expect.stringMatching(/memory limit of 512m/)]);
  });

  test('exit 137 without OOMKilled still names the limit, hedged', async () => {
    const t = setup({ onStart: (c) => c.exit(137), oomKilled: false });
    const result = await runSession(t.options);
    expect(result).toMatchObject({ exitCode: 137, oomKilled: false });
    expect(t.warnings).toEqual([expect.stringMatching(/most likely by its memory limit of 512m/)]);
  });

  test('a clean exit costs no inspect round trip', async () => {
    const t = setup({ onStart: (c) => c.exit(0) });
    await runSession(t.options);
    expect(t.engine.calls).not.toContain('inspect');
    expect(t.engine.calls).not.toContain('events');
  });

  test('start failure: the container is still removed and the error is an ENGINE_ERROR', async () => {
    const t = setup({ startError: new EngineApiError(500, 'OCI runtime create failed: cannot run with network enabled in root network namespace') });
    await expect(runSession(t.options)).rejects.toMatchObject({ code: 'ENGINE_ERROR', hint: expect.stringMatching(/--network=none/) });
    expect(t.engine.calls[t.engine.calls.length - 1]).toBe('remove');
  });

  test('unknown runtime at create: RUNTIME_MISSING with the daemon.json snippet', async () => {
    const t = setup({ createErrors: [new EngineApiError(400, 'Unknown runtime specified runsc')] });
    const error = (await runSession(t.options).catch((e: unknown) => e)) as SandboxError;
    expect(error.code).toBe('RUNTIME_MISSING');
    expect(error.hint).toContain('"runtimes": {"runsc": {"path"');
    expect(t.engine.calls).toEqual(['create']);
  });

  test('missing image with pull: never is IMAGE_MISSING without a pull', async () => {
    const t = setup({ createErrors: [new EngineApiError(404, 'No such image: x:1')] });
    await expect(runSession(t.options)).rejects.toMatchObject({ code: 'IMAGE_MISSING' });
    expect(t.engine.calls).toEqual(['create']);
  });

  test('missing image with pull: missing pulls once and creates again', async () => {
    const t = setup({ createErrors: [new EngineApiError(404, 'No such image: x:1')], onStart: (c) => c.exit(0) }, { pull: 'missing' });
    await runSession(t.options);
    expect(t.engine.calls.slice(0, 3)).toEqual(['create', 'pull', 'create']);
  });

  test('pull: always pulls first; a failed pull is IMAGE_MISSING with the registry message', async () => {
    const t = setup({ pullError: new EngineApiError(500, 'manifest unknown') }, { pull: 'always' });
    await expect(runSession(t.options)).rejects.toMatchObject({ code: 'IMAGE_MISSING', message: expect.stringContaining('manifest unknown') });
    expect(t.engine.calls).toEqual(['pull']);
  });

  test('bind source missing at create: MOUNT_SOURCE_MISSING', async () => {
    const t = setup({ createErrors: [new EngineApiError(400, 'invalid mount config for type "bind": bind source path does not exist: /nope')] });
    await expect(runSession(t.options)).rejects.toMatchObject({ code: 'MOUNT_SOURCE_MISSING', message: expect.stringContaining('/nope') });
  });

  test('engine unreachable: ENGINE_UNREACHABLE naming the socket', async () => {
    const t = setup({ createErrors: [new EngineConnectionError('unix:///fake.sock', 'ECONNREFUSED')] });
    await expect(runSession(t.options)).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE', message: expect.stringContaining('unix:///fake.sock') });
  });

  test('onStarted runs after start (orphan sweep off the critical path)', async () => {
    const seen: string[] = [];
    const t = setup({ onStart: (c) => setTimeout(() => c.exit(0), 5) }, { onStarted: () => seen.push([...t.engine.calls].pop() as string) });
    await runSession(t.options);
    expect(seen).toEqual(['start']);
  });
});
