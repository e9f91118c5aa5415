/**
 * What outlives a launcher that is SIGKILLed: a small detached node process (dist/watchdog.js) that
 * holds the read end of a pipe from the launcher. The kernel closes that pipe when the launcher
 * dies, however it dies; the watchdog then stops and removes the container by name and exits.
 * A launcher that ends normally writes `done` first, and the watchdog exits without a request.
 *
 * It is started off the hot path (after the server's first answer, 3 s after the container started, or at the
 * first shutdown signal, whichever comes first) and is told the container's name, which exists
 * before the create call, so a launcher killed while its create is in flight is covered too.
 * Its cost is in BENCHMARKS.md. A session on a claimed pool member is guarded by the pool's
 * reaper instead (./warm-guard.ts, `enforce` below), and gets a watchdog only if that fails.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { EngineClient, NetworkEngineClient } from '../engine/client.js';
import { sweepEgressNetworks } from '../egress/sweep.js';
import { LABELS } from '../labels.js';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { HttpEngineClient } from '../engine/http-client.js';

/** The watchdog's instructions, one JSON line on its stdin. */
export interface WatchdogOrder {
  endpoint: EngineEndpoint;
  /** The container's name (or id). */
  container: string;
  /** Seconds the engine waits between TERM and KILL. */
  stopTimeout: number;
  /** The session's egress set (docs/egress.md): its containers and network are removed too. */
  egressSession?: string;
}

export interface Watchdog {
  /** Starts the watchdog if it is not running yet. Never throws. */
  arm(): void;
  /** The session is over and the container is gone: the watchdog exits without acting. */
  disarm(): void;
  /** The watchdog's pid, once armed. */
  readonly pid: number | undefined;
}

/** node:child_process on first use: `run`'s start never needs it (see BENCHMARKS.md). */
export function spawnChild(...args: Parameters<typeof import('node:child_process').spawn>): ChildProcess {
  const childProcess = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return childProcess.spawn(...args);
}

/** node's flags for the watchdog: it moves no data, so a small heap is plenty. */
export const WATCHDOG_NODE_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1'];

/** dist/watchdog.js next to the bundle that runs this code (dist/run.cjs or a dist/cli.js chunk). */
export function watchdogScript(from: string = import.meta.url): string | undefined {
  for (const candidate of ['./watchdog.js', '../../dist/watchdog.js']) {
    const file = fileURLToPath(new URL(candidate, from));
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** JSON for the order: Buffers (TLS material) travel as base64. */
export function encodeOrder(order: WatchdogOrder): string {
  return JSON.stringify(order, (_key, value: unknown) => {
    const v = value as { type?: string; data?: number[] } | undefined;
    return v && v.type === 'Buffer' && Array.isArray(v.data) ? { base64: Buffer.from(v.data).toString('base64') } : value;
  });
}

export function decodeOrder(line: string): WatchdogOrder {
  return JSON.parse(line, (_key, value: unknown) => {
    const v = value as { base64?: unknown } | undefined;
    return v && typeof v === 'object' && typeof v.base64 === 'string' && Object.keys(v).length === 1 ? Buffer.from(v.base64, 'base64') : value;
  }) as WatchdogOrder;
}

/** A watchdog for one container, not yet started. */
export function watchdog(order: WatchdogOrder, debug: (message: string) => void, script: string | null = watchdogScript() ?? null): Watchdog {
  let child: ChildProcess | undefined;
  let disarmed = false;
  return {
    get pid() {
      return child?.pid;
    },
    arm() {
      if (child || disarmed) return;
      if (!script) return debug('watchdog not available (dist/watchdog.js missing)');
      const started = process.hrtime.bigint();
      try {
        child = spawnChild(process.execPath, [...WATCHDOG_NODE_FLAGS, script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: {} });
        child.on('error', (error) => debug(`watchdog failed: ${error.message}`));
        child.stdin?.on('error', () => undefined);
        child.stdin?.write(`${encodeOrder(order)}\n`);
        // Neither the child nor its pipe may keep the launcher alive.
        child.unref();
        (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
        debug(`watchdog ${child.pid ?? '?'} armed for ${order.container} (spawn ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms)`);
      } catch (error) {
        debug(`watchdog failed: ${(error as Error).message}`);
      }
    },
    disarm() {
      disarmed = true;
      if (!child?.stdin || child.stdin.destroyed) return;
      child.stdin.end('done\n');
    },
  };
}

/**
 * The watchdog process: reads its order from stdin; when stdin ends without `done` (the
 * launcher died), enforces it. Signals meant for the launcher's group do not take it along.
 */
export function watchdogMain(stdin: NodeJS.ReadableStream = process.stdin): void {
  let text = '';
  stdin.setEncoding('utf8');
  stdin.on('data', (chunk: string) => (text += chunk));
  let acted = false;
  const onEnd = (): void => {
    const lines = text.split('\n').filter(Boolean);
    if (acted || lines.length === 0 || lines[lines.length - 1] === 'done') return;
    acted = true;
    const order = decodeOrder(lines[0] as string);
    void enforce(order, new HttpEngineClient(order.endpoint));
  };
  stdin.on('end', onEnd);
  stdin.on('error', onEnd);
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(signal, () => undefined);
}

/** When the watchdog removes the container again after the egress set is gone, in units of `recheckMs`. */
const LATER_RECHECKS = [2, 4, 8];

/**
 * Stops (TERM, KILL after the order's timeout) and removes the container, then removes it again
 * on a widening schedule: a create that was in flight when the launcher died lands after the
 * first remove, and on a busy engine a call can fail or land late (a CI run once left a
 * stubborn server running after a signal and a SIGKILL: nothing else removes it before the next
 * `run` of its profile). A remove of the session's unique name hits nothing else. Never throws.
 */
export async function enforce(order: Omit<WatchdogOrder, 'endpoint'> & Partial<Pick<WatchdogOrder, 'endpoint'>>, engine: EngineClient, recheckMs = 1000): Promise<void> {
  try {
    await engine.stop(order.container, order.stopTimeout).catch(() => undefined);
    await engine.remove(order.container, { force: true }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, recheckMs));
    await engine.remove(order.container, { force: true }).catch(() => undefined);
    if (order.egressSession) await removeEgressSet(engine as NetworkEngineClient, order.egressSession);
    for (const units of LATER_RECHECKS) {
      await new Promise((resolve) => setTimeout(resolve, units * recheckMs));
      await engine.remove(order.container, { force: true }).catch(() => undefined);
    }
  } finally {
    engine.close();
  }
}

/** The set's holder and proxy exit with the launcher's attach; the network waits until they are gone. */
async function removeEgressSet(engine: NetworkEngineClient, session: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const networks = await engine.listNetworks({ labels: [`${LABELS.egressSession}=${session}`] }).catch(() => undefined);
    if (networks !== undefined && networks.length === 0) return;
    await sweepEgressNetworks(engine, { all: true, labels: [`${LABELS.egressSession}=${session}`] }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 250 + attempt * 100));
  }
}
