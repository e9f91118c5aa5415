/**
 * Who removes a warm pool when no launcher of ours runs: a detached reaper process (the
 * watchdog's bundle, dist/watchdog.js, started with --pool-reaper). Docker has no engine-side
 * "remove after N minutes idle", and a pool member's command is the server's, not ours to wrap;
 * so the reaper sleeps until the earliest `mcp-sandbox.pool-expires` of the idle members (at
 * most a minute, so members added meanwhile are seen), removes the stale ones, and exits once
 * no idle member is left. One reaper per user and engine holds a pid lock; others exit after
 * their own work, waking the holder (SIGUSR2) so it sweeps at once and sees their members. The
 * same process performs fills and refills (`fill`, `refill`: ./warm-refill.ts) first, so they
 * survive the launcher's exit. While it holds the lock it also guards claimed sessions
 * (./warm-guard.ts) and does not exit while one is open; and (one per user) it is the warm-start
 * broker that carries the native shim's sessions (./warm-broker.ts), staying while one is open.
 */
import { createHash } from 'node:crypto';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineClient } from '../engine/client.js';
import { describeEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import { HttpEngineClient } from '../engine/http-client.js';
import { LABELS } from '../labels.js';
import { poolState } from '../sandboxes/pool.js';
import { fillPool, type FillOrder } from './warm.js';
import { guardSocketPath, listenGuard, type GuardServer } from './warm-guard.js';
import { brokerLockFile, brokerSocketPath, bundleRun, listenBroker, type BrokerServer } from './warm-broker.js';
import { REAPER_FLAG, releaseAllLocks, releaseLock, takeLock, WAKE_SIGNAL } from './warm-lock.js';
import { refill, type RefillOptions, type RefillOrder } from './warm-refill.js';
import { decodeOrder, encodeOrder, spawnChild, watchdogScript } from './watchdog.js';

export interface ReaperOrder {
  endpoint: EngineEndpoint;
  fill: FillOrder[];
  /** A pool to top up after claims (./warm-refill.ts), coalesced with other launchers' requests. */
  refill?: RefillOrder;
  /** The pid lock that keeps one reaper per user and engine. */
  lockFile: string;
}

/** The reaper's pid lock for an engine. */
export function reaperLockFile(endpoint: EngineEndpoint): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const digest = createHash('sha256').update(describeEndpoint(endpoint)).digest('hex').slice(0, 12);
  return path.join(tmpdir(), `mcp-sandbox-${uid}-pool-reaper-${digest}.pid`);
}

/** Starts a reaper with this order (secret values travel on its stdin, never its argv). Never throws. */
export function spawnReaper(order: ReaperOrder, debug: (message: string) => void, script: string | undefined = watchdogScript()): number | undefined {
  if (!script) {
    debug('pool reaper not available (dist/watchdog.js missing)');
    return undefined;
  }
  try {
    // Only the temp directory of the environment: the reaper's locks and sockets (the broker's
    // too, which the shim finds through its own TMPDIR) are where this launcher looks for them.
    // Not the watchdog's small heap: whichever reaper holds the lock is the broker and carries
    // sessions (the gate, 1 MB messages); the limit reserves nothing.
    const child = spawnChild(process.execPath, [script, REAPER_FLAG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { TMPDIR: tmpdir() } });
    child.on('error', (error) => debug(`pool reaper failed: ${error.message}`));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`${encodeOrder(order as never)}\n`);
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    // A refiller started beside launchers must not take their CPUs; the reaper `warm` starts
    // carries sessions as the broker, at the launchers' own priority.
    if (order.refill || order.fill.length > 0) lowerPriority(child.pid);
    const fills = [...order.fill.map((f) => `fill ${f.count} × ${f.profile}`), ...(order.refill ? [`refill ${order.refill.fill.profile} to ${order.refill.fill.count}`] : [])];
    debug(`pool reaper ${child.pid ?? '?'} started${fills.length > 0 ? ` to ${fills.join(', ')}` : ''}`);
    return child.pid;
  } catch (error) {
    debug(`pool reaper failed: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * The reaper runs at a lower CPU priority (nice 10): its own start and its refill's engine calls
 * must not take the CPUs from launchers still starting beside it (ten started at once by a
 * client). The containers it creates are the engine's processes, not its own: unaffected.
 */
function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, REAPER_NICE);
  } catch {
    // best-effort: a platform without priorities, or the child already gone
  }
}

const REAPER_NICE = 10;

/** The reaper process: its order from stdin, then reap(). */
export function reaperMain(stdin: NodeJS.ReadableStream = process.stdin): void {
  let text = '';
  stdin.setEncoding('utf8');
  stdin.on('data', (chunk: string) => (text += chunk));
  stdin.on('end', () => {
    const order = decodeOrder(text.trim()) as unknown as ReaperOrder;
    const engine = new HttpEngineClient(order.endpoint);
    void reap(order, engine).finally(() => engine.close());
  });
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(signal, () => undefined);
  // `warm --stop` ends a refiller with SIGTERM: leave no lock file behind.
  process.on('SIGTERM', () => {
    releaseAllLocks();
    process.exit(143);
  });
  process.on(WAKE_SIGNAL, () => wake?.());
}

let wake: (() => void) | undefined;

/** A sleep SIGUSR2 cuts short (another reaper added members, a launcher claimed one); true when it did. */
function wakeableSleep(ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    wake = () => {
      clearTimeout(timer);
      wake = undefined;
      resolve(true);
    };
  });
}

export interface ReapOptions {
  now?: () => number;
  /** Resolves true when woken early. */
  sleep?: (ms: number) => Promise<boolean>;
  /** Longest sleep between sweeps. */
  maxSleepMs?: number;
  refill?: Omit<RefillOptions, 'sleep' | 'now'>;
  /** The client a guard's enforcement uses (default: a fresh one for the order's endpoint). */
  guardEngine?: () => EngineClient;
  /** enforce's recheck delay (tests shorten it). */
  guardRecheckMs?: number;
}

/** Fills, then (holding the lock) sweeps until no idle member is left. Never throws. */
export async function reap(order: ReaperOrder, engine: EngineClient, options: ReapOptions = {}): Promise<void> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? wakeableSleep;
  for (const fill of order.fill) await fillPool(engine, fill).catch(() => undefined);
  if (order.refill) await refill(engine, order.refill, { ...options.refill, now, sleep }).catch(() => undefined);
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  while (takeLock(order.lockFile)) {
    const guard = await guardClaims(order, options);
    const broker = await serveBroker(order);
    try {
      for (;;) {
        const next = await sweep(engine, now()).catch(() => 0);
        // No idle member left, but a claimed session still guarded (or being removed) or carried: stay.
        if (next === undefined && !guard?.active && !broker?.active) break;
        await sleep(next === undefined ? maxSleepMs : Math.min(Math.max(next - now(), 1000), maxSleepMs));
      }
    } finally {
      guard?.close();
      broker?.close();
      releaseLock(order.lockFile);
    }
    // A member created while this reaper decided to leave is seen here (its filler found the lock held).
    if ((await sweep(engine, now()).catch(() => undefined)) === undefined) return;
  }
}

/** The guard socket beside the lock this process now holds; undefined when it cannot listen (launchers then spawn watchdogs). */
async function guardClaims(order: ReaperOrder, options: ReapOptions): Promise<GuardServer | undefined> {
  const socketPath = guardSocketPath(order.lockFile);
  if (socketPath === undefined) return undefined;
  return listenGuard(socketPath, {
    engine: options.guardEngine ?? (() => new HttpEngineClient(order.endpoint)),
    // The last guard gone: sweep now, and leave if nothing is idle either.
    onIdle: () => wake?.(),
    ...(options.guardRecheckMs === undefined ? {} : { recheckMs: options.guardRecheckMs }),
  }).catch(() => undefined);
}

/** The warm-start broker, if this reaper is the user's one (its lock); undefined otherwise (shims then start node). */
async function serveBroker(order: ReaperOrder): Promise<(BrokerServer & { close(): void }) | undefined> {
  // Beside the reaper's lock: the temp directory of whoever started it, which is the shim's too.
  const socketPath = brokerSocketPath(path.dirname(order.lockFile));
  if (socketPath === undefined) return undefined;
  const lockFile = brokerLockFile(socketPath);
  if (!takeLock(lockFile)) return undefined;
  const server = await listenBroker(socketPath, {
    endpoint: describeEndpoint(order.endpoint),
    load: bundleRun(),
    onIdle: () => wake?.(),
  }).catch(() => undefined);
  if (!server) {
    releaseLock(lockFile);
    return undefined;
  }
  return {
    get active() {
      return server.active;
    },
    close: () => {
      server.close();
      releaseLock(lockFile);
    },
  };
}

/** Removes stale idle members; returns when the next one expires (ms), undefined when none is idle. */
async function sweep(engine: EngineClient, now: number): Promise<number | undefined> {
  const members = await engine.listContainers({ all: true, labels: [`${LABELS.pool}=idle`] });
  let next: number | undefined;
  for (const member of members) {
    const state = poolState(member, now);
    if (state === 'stale') await engine.remove(member.Id, { force: true }).catch(() => undefined);
    else if (state === 'idle' || state === 'starting') {
      const expires = state === 'idle' ? Number(member.Labels[LABELS.poolExpires]) * 1000 : now + 5000;
      next = next === undefined ? expires : Math.min(next, expires);
    }
  }
  return next;
}
