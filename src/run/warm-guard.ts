/**
 * The pool reaper as the guard of claimed sessions. A launcher that claimed a pool member needs
 * something outside itself to remove the container if it is SIGKILLed; the pool's reaper
 * (./warm-reaper.ts) already runs detached, so the launcher tells it instead of spawning a
 * watchdog: it connects to the reaper's Unix socket and sends one line, the watchdog's order
 * (without the endpoint: the reaper has its own). The kernel closes the connection however the
 * launcher dies; a connection closed without a `done` line has the reaper enforce the order
 * exactly as the watchdog would (./watchdog.ts `enforce`). No process is spawned, so the guard
 * can be in place from the claim on, with nothing taken from launchers starting meanwhile.
 *
 * Whatever makes the reaper unusable (no socket, a stale one, a reaper too old to listen, the
 * reaper ending mid-session) makes the launcher arm its watchdog at once: never unguarded.
 */
import { createConnection, type Socket } from 'node:net';
import path from 'node:path';
import type { EngineClient } from '../engine/client.js';
import { closeOwnerOnly, listenOwnerOnly, ownerOnlyDir } from '../fs/owner-socket.js';
import { enforce, type Watchdog, type WatchdogOrder } from './watchdog.js';

/** What the reaper is told: the watchdog's order less the endpoint. */
export type GuardOrder = Omit<WatchdogOrder, 'endpoint'>;

/** sun_path holds 108 bytes with its NUL. */
const SUN_PATH_MAX = 107;
/** An order is a few hundred bytes; more is not ours. */
const MAX_LINE = 4096;

/** The guard socket of a reaper lock, in an owner-only directory beside it; undefined when the path does not fit sun_path. */
export function guardSocketPath(lockFile: string): string | undefined {
  const file = path.join(`${lockFile.replace(/\.pid$/, '')}.d`, 'guard.sock');
  return Buffer.byteLength(file) <= SUN_PATH_MAX ? file : undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** The order on a guard line, or undefined for anything malformed. */
export function parseGuardOrder(line: string): GuardOrder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { container, stopTimeout, egressSession } = value as Record<string, unknown>;
  if (typeof container !== 'string' || !NAME.test(container)) return undefined;
  if (typeof stopTimeout !== 'number' || !Number.isInteger(stopTimeout) || stopTimeout < 0 || stopTimeout > 3600) return undefined;
  if (egressSession !== undefined && (typeof egressSession !== 'string' || !NAME.test(egressSession))) return undefined;
  return { container, stopTimeout, ...(egressSession === undefined ? {} : { egressSession }) };
}

export interface GuardServer {
  /** Open guard connections plus enforcements in flight: while above 0 the reaper stays. */
  readonly active: number;
  close(): void;
}

export interface GuardServerOptions {
  /** A fresh client per enforcement (enforce closes it). */
  engine(): EngineClient;
  /** Called when `active` drops to 0. */
  onIdle(): void;
  debug?(message: string): void;
  /** enforce's second remove (tests shorten it). */
  recheckMs?: number;
}

/** Listens on the guard socket (the caller holds the reaper lock, so any socket there is stale). Undefined when it cannot. */
export async function listenGuard(socketPath: string, options: GuardServerOptions): Promise<GuardServer | undefined> {
  let active = 0;
  const release = (): void => {
    active -= 1;
    if (active === 0) options.onIdle();
  };
  const server = await listenOwnerOnly(socketPath, (socket) => {
    active += 1;
    guardConnection(socket, options, release);
  });
  if (!server) return undefined;
  return {
    get active() {
      return active;
    },
    close: () => closeOwnerOnly(server, socketPath),
  };
}

/** One launcher's connection: its order, then `done` or a close that means it died. */
function guardConnection(socket: Socket, options: GuardServerOptions, release: () => void): void {
  let text = '';
  let order: GuardOrder | undefined;
  let done = false;
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let newline = text.indexOf('\n'); newline >= 0 && !socket.destroyed; newline = text.indexOf('\n')) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      if (order === undefined) {
        order = parseGuardOrder(line);
        if (order === undefined) {
          options.debug?.('guard: malformed order, connection closed');
          socket.destroy();
        } else socket.write('ok\n');
      } else if (line === 'done') done = true;
    }
    if (text.length > MAX_LINE) socket.destroy();
  });
  socket.on('close', () => {
    if (order === undefined || done) return release();
    options.debug?.(`guard: launcher of ${order.container} gone, removing it`);
    void enforce(order, options.engine(), options.recheckMs).finally(release);
  });
}

/**
 * The launcher's side: a Watchdog whose guard is the pool reaper. arm() is a no-op while the
 * reaper guards (nothing to spawn); the fallback watchdog is armed the moment the reaper is
 * found missing or leaves. Never throws, never awaits.
 */
export function reaperGuard(socketPath: string | undefined, order: WatchdogOrder, fallback: Watchdog, debug: (message: string) => void): Watchdog {
  let socket: Socket | undefined;
  let lost = false;
  let ended = false;
  const lose = (why: string): void => {
    if (lost || ended) return;
    lost = true;
    socket?.destroy();
    debug(`pool reaper cannot guard ${order.container} (${why}): watchdog instead`);
    fallback.arm();
  };
  const { endpoint: _endpoint, ...told } = order;
  if (socketPath === undefined || !ownerOnlyDir(path.dirname(socketPath))) lose('no guard socket');
  else {
    try {
      socket = createConnection(socketPath);
      socket.on('error', (error: NodeJS.ErrnoException) => lose(error.code ?? error.message));
      socket.on('close', () => lose('reaper gone'));
      socket.once('data', () => debug(`pool reaper guards ${order.container}`));
      socket.write(`${JSON.stringify(told)}\n`);
      // The connection must not keep the launcher alive.
      socket.unref();
    } catch (error) {
      lose((error as Error).message);
    }
  }
  return {
    get pid() {
      return fallback.pid;
    },
    arm() {
      if (lost) fallback.arm();
    },
    disarm() {
      ended = true;
      fallback.disarm();
      if (socket && !socket.destroyed) socket.end('done\n');
    },
  };
}
