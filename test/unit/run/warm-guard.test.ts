/** The pool reaper as guard of claimed sessions (src/run/warm-guard.ts): the protocol over a real Unix socket, the fake engine behind it. */
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { guardSocketPath, listenGuard, parseGuardOrder, reaperGuard, type GuardServer } from '../../../src/run/warm-guard.js';
import { reap } from '../../../src/run/warm-reaper.js';
import type { Watchdog } from '../../../src/run/watchdog.js';
import type { ContainerSummary } from '../../../src/engine/client.js';
import { LABELS } from '../../../src/labels.js';
import { poolName } from '../../../src/sandboxes/pool.js';
import { FakeEngine } from './fake-engine.js';

/** Records which container each stop and remove named. */
class GuardEngine extends FakeEngine {
  stops: string[] = [];
  /** What the reaper's sweep lists as the pool. */
  pool: ContainerSummary[] = [];
  override async stop(id?: string): Promise<void> {
    this.stops.push(id as string);
  }
  override async listContainers(): Promise<ContainerSummary[]> {
    return this.pool;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const lockIn = (): string => path.join(mkdtempSync(path.join(tmpdir(), 'h-guard-')), 'reaper.pid');

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (check()) return true;
  return check();
}

/** A client connection that has sent `lines`. */
async function client(socketPath: string, lines: string): Promise<Socket> {
  const socket = connect(socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(lines);
  // Read the reaper's `ok`, so the socket can end.
  socket.resume();
  return socket;
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('guard server', () => {
  let server: GuardServer | undefined;
  let engine: GuardEngine;
  let socketPath: string;
  let idle = 0;
  beforeEach(async () => {
    engine = new GuardEngine();
    socketPath = guardSocketPath(lockIn()) as string;
    idle = 0;
    server = await listenGuard(socketPath, { engine: () => engine, onIdle: () => (idle += 1), recheckMs: 1 });
    expect(server).toBeDefined();
  });
  afterEach(() => server?.close());

  test('the socket is owner-only, in an owner-only directory', () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
  });

  test('a connection closed without done: the container is stopped and removed by name', async () => {
    const socket = await client(socketPath, `${JSON.stringify({ container: 'mcp-sandbox-p-claimed-abc', stopTimeout: 1 })}\n`);
    await eventually(() => server!.active === 1);
    socket.destroy();
    // Removed, then again on the watchdog's recheck schedule (enforce, ./watchdog.ts).
    expect(await eventually(() => engine.removed.length === 5 && server!.active === 0)).toBe(true);
    expect(engine.stops).toEqual(['mcp-sandbox-p-claimed-abc']);
    expect(engine.removed).toEqual(Array.from({ length: 5 }, () => 'mcp-sandbox-p-claimed-abc'));
    expect(idle).toBe(1);
  });

  test('done, then close: nothing is removed', async () => {
    const socket = await client(socketPath, `${JSON.stringify({ container: 'c1', stopTimeout: 1 })}\n`);
    socket.end('done\n');
    await closed(socket);
    expect(await eventually(() => server!.active === 0)).toBe(true);
    await sleep(50);
    expect(engine.calls).not.toContain('stop');
    expect(engine.removed).toEqual([]);
  });

  test('several connections: only those that died are enforced, each for its own container', async () => {
    const sockets = await Promise.all(['c1', 'c2', 'c3'].map((c) => client(socketPath, `${JSON.stringify({ container: c, stopTimeout: 2 })}\n`)));
    expect(await eventually(() => server!.active === 3)).toBe(true);
    sockets[1]!.end('done\n');
    sockets[0]!.destroy();
    sockets[2]!.destroy();
    expect(await eventually(() => server!.active === 0)).toBe(true);
    expect(engine.stops.sort()).toEqual(['c1', 'c3']);
    expect(new Set(engine.removed)).toEqual(new Set(['c1', 'c3']));
  });

  test.each([
    ['not json', 'not json'],
    ['a number as name', '{"container": 7, "stopTimeout": 1}'],
    ['a name with a space', '{"container": "a b", "stopTimeout": 1}'],
    ['a negative timeout', '{"container": "c", "stopTimeout": -1}'],
    ['null', 'null'],
    ['10 kB with no newline', 'x'.repeat(10_000)],
  ])('a malformed order (%s) is ignored and its connection closed', async (_what, line) => {
    const socket = await client(socketPath, line.length > 5000 ? line : `${line}\n`);
    await closed(socket);
    expect(await eventually(() => server!.active === 0)).toBe(true);
    expect(engine.calls).not.toContain('stop');
    // The server still serves.
    const next = await client(socketPath, `${JSON.stringify({ container: 'after', stopTimeout: 1 })}\n`);
    next.destroy();
    expect(await eventually(() => engine.stops.includes('after'))).toBe(true);
  });

  test('parseGuardOrder keeps only the fields it knows', () => {
    expect(parseGuardOrder('{"container":"c","stopTimeout":1,"egressSession":"s-1","endpoint":{"kind":"tcp"}}')).toEqual({ container: 'c', stopTimeout: 1, egressSession: 's-1' });
    expect(parseGuardOrder('{"container":"c","stopTimeout":1.5}')).toBeUndefined();
  });
});

describe('guardSocketPath', () => {
  test('fits sun_path or is undefined', () => {
    expect(guardSocketPath('/tmp/mcp-sandbox-0-pool-reaper-abc.pid')).toBe('/tmp/mcp-sandbox-0-pool-reaper-abc.d/guard.sock');
    expect(guardSocketPath(`/${'x'.repeat(100)}/reaper.pid`)).toBeUndefined();
  });
});

/** A fake watchdog: counts arm and disarm. */
function fakeWatchdog(): Watchdog & { armed: number; disarmed: number } {
  return {
    armed: 0,
    disarmed: 0,
    pid: undefined,
    arm() {
      this.armed += 1;
    },
    disarm() {
      this.disarmed += 1;
    },
  };
}

describe('launcher side (reaperGuard)', () => {
  const order = { endpoint: { kind: 'unix' as const, socketPath: '/fake.sock', source: 'test' }, container: 'mcp-sandbox-x-claimed-1', stopTimeout: 1 };

  test('no reaper listening (no socket, a stale one): the watchdog is armed at once', async () => {
    const dog = fakeWatchdog();
    reaperGuard(guardSocketPath(lockIn()), order, dog, () => undefined);
    expect(dog.armed).toBe(1);
    const stalePath = guardSocketPath(lockIn()) as string;
    mkdirSync(path.dirname(stalePath), { mode: 0o700 });
    writeFileSync(stalePath, '');
    const stale = fakeWatchdog();
    reaperGuard(stalePath, order, stale, () => undefined);
    expect(await eventually(() => stale.armed === 1)).toBe(true);
  });

  test('a directory open to others is not trusted', () => {
    const socketPath = guardSocketPath(lockIn()) as string;
    mkdirSync(path.dirname(socketPath), { mode: 0o777 });
    const dog = fakeWatchdog();
    reaperGuard(socketPath, order, dog, () => undefined);
    expect(dog.armed).toBe(1);
  });

  test('guarded: arm() spawns nothing; disarm sends done and nothing is removed', async () => {
    const engine = new GuardEngine();
    const socketPath = guardSocketPath(lockIn()) as string;
    const server = (await listenGuard(socketPath, { engine: () => engine, onIdle: () => undefined, recheckMs: 1 }))!;
    try {
      const messages: string[] = [];
      const dog = fakeWatchdog();
      const guard = reaperGuard(socketPath, order, dog, (m) => messages.push(m));
      expect(await eventually(() => messages.some((m) => m.includes('pool reaper guards mcp-sandbox-x-claimed-1')))).toBe(true);
      guard.arm();
      expect(dog.armed).toBe(0);
      guard.disarm();
      expect(dog.disarmed).toBe(1);
      expect(await eventually(() => server.active === 0)).toBe(true);
      await sleep(50);
      expect(engine.stops).toEqual([]);
      expect(dog.armed).toBe(0);
    } finally {
      server.close();
    }
  });

  test('a reaper that ends mid-session: the watchdog is armed when its connection closes', async () => {
    const socketPath = guardSocketPath(lockIn()) as string;
    mkdirSync(path.dirname(socketPath), { mode: 0o700 });
    const accepted: Socket[] = [];
    let received = '';
    const server = createServer((s) => {
      accepted.push(s);
      s.on('data', (chunk) => (received += chunk.toString('utf8')));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const dog = fakeWatchdog();
      reaperGuard(socketPath, order, dog, () => undefined);
      expect(await eventually(() => received.endsWith('\n'))).toBe(true);
      // The order, less the endpoint (TLS material never leaves the launcher).
      expect(JSON.parse(received)).toEqual({ container: order.container, stopTimeout: 1 });
      expect(dog.armed).toBe(0);
      accepted[0]!.destroy();
      expect(await eventually(() => dog.armed === 1)).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('the reaper with guards', () => {
  test('stays while a guard connection is open (no idle member left), enforces when it closes without done, then exits', async () => {
    const engine = new GuardEngine();
    engine.pool = [{ Id: 'm', Names: [`/${poolName('p')}`], Image: 'x', Labels: { [LABELS.profile]: 'p', [LABELS.pool]: 'idle', [LABELS.poolHash]: 'H', [LABELS.poolExpires]: String(Math.floor(Date.now() / 1000) + 600) }, State: 'running', Status: '', Created: Math.floor(Date.now() / 1000) - 10 }];
    const lockFile = lockIn();
    let finished = false;
    const reaping = reap({ endpoint: engine.endpoint, fill: [], lockFile }, engine, { maxSleepMs: 20, sleep: (ms) => sleep(Math.min(ms, 20)).then(() => false), guardEngine: () => engine, guardRecheckMs: 1 }).then(() => (finished = true));
    const socketPath = guardSocketPath(lockFile) as string;
    const listening = (): boolean => {
      try {
        return statSync(socketPath).isSocket();
      } catch {
        return false;
      }
    };
    expect(await eventually(listening)).toBe(true);
    const socket = await client(socketPath, `${JSON.stringify({ container: 'held', stopTimeout: 1 })}\n`);
    await sleep(50);
    // The pool is gone (its last member claimed or expired): the guard alone keeps the reaper.
    engine.pool = [];
    await sleep(300);
    expect(finished).toBe(false);
    socket.destroy();
    await reaping;
    expect(engine.stops).toEqual(['held']);
    expect(engine.removed).toEqual(Array.from({ length: 5 }, () => 'held'));
    expect(listening()).toBe(false);
  });
});
