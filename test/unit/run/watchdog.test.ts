import { PassThrough } from 'node:stream';
import { decodeOrder, encodeOrder, enforce, watchdog, watchdogMain } from '../../../src/run/watchdog.js';
import { FakeEngine } from './fake-engine.js';

describe('watchdog order', () => {
  test('round-trips an endpoint with TLS material as base64, never as a byte array', () => {
    const order = { endpoint: { kind: 'tcp' as const, host: 'h', port: 2376, tls: { ca: Buffer.from('CA'), key: Buffer.from('KEY'), verify: true }, source: 's' }, container: 'mcp-sandbox-x-1-abc', stopTimeout: 1 };
    const line = encodeOrder(order);
    expect(line).not.toContain('\n');
    expect(line).toContain(Buffer.from('KEY').toString('base64'));
    expect(decodeOrder(line)).toEqual(order);
  });

  test('without its script the watchdog is reported unavailable and arming is harmless', () => {
    const seen: string[] = [];
    const guard = watchdog({ endpoint: { kind: 'unix', socketPath: '/x', source: 's' }, container: 'c', stopTimeout: 1 }, (m) => seen.push(m), null);
    guard.arm();
    guard.disarm();
    expect(guard.pid).toBeUndefined();
    expect(seen).toEqual(['watchdog not available (dist/watchdog.js missing)']);
  });
});

describe('enforce', () => {
  test('stops with the timeout, removes, and removes again four times for a create that was in flight or a call that failed', async () => {
    const engine = new FakeEngine();
    const stops: Array<[string, number]> = [];
    (engine as unknown as { stop(id: string, t: number): Promise<void> }).stop = async (id, t) => {
      stops.push([id, t]);
    };
    await enforce({ endpoint: engine.endpoint, container: 'mcp-sandbox-x-1-abc', stopTimeout: 1 }, engine, 5);
    expect(stops).toEqual([['mcp-sandbox-x-1-abc', 1]]);
    expect(engine.removed).toEqual(Array.from({ length: 5 }, () => 'mcp-sandbox-x-1-abc'));
  });
  test('an engine that fails every call does not make it throw', async () => {
    const engine = new FakeEngine();
    engine.remove = async () => {
      throw new Error('down');
    };
    await expect(enforce({ endpoint: engine.endpoint, container: 'c', stopTimeout: 1 }, engine, 1)).resolves.toBeUndefined();
  });
});

test('watchdogMain: a launcher that says done leaves nothing to do', async () => {
  const stdin = new PassThrough();
  watchdogMain(stdin);
  stdin.end(`${encodeOrder({ endpoint: { kind: 'unix', socketPath: '/nonexistent/h1.sock', source: 's' }, container: 'c', stopTimeout: 1 })}\ndone\n`);
  await new Promise((resolve) => setImmediate(resolve));
  expect(stdin.readableEnded).toBe(true);
});
