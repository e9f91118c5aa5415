/**
 * The warm-start broker: the pool reaper (./warm-reaper.ts) carrying client sessions for the
 * native shim (./warm-shim.c), so that a warm start starts no node process. A client's `run`
 * is the shim; it connects here and sends its arguments, cwd and environment
 * (./warm-frames.ts). The broker runs exactly what `run` runs, launch() with the shim as its
 * io, and takes the session only once a pool member is claimed: anything else (no matching
 * member, unusual flags, another engine, an allowlisted profile, any error before the claim)
 * answers "cold" and the shim execs the node launcher, whose output is then the only output
 * the client sees (nothing the broker wrote before its answer is sent).
 *
 * The socket is `broker.sock` in an owner-only directory (`mcp-sandbox-<uid>-broker.d` in the
 * temp directory, the shim checks it before connecting: it sends the environment, secrets
 * included). One reaper per user serves it (a pid lock beside it). The launcher code is loaded
 * on the first session (dist/run.cjs with its code cache, as bin/mcp-sandbox.js loads it), so
 * an idle reaper carries none of it. The reaper does not exit while a session is open; when a
 * shim goes away without its exit frame (SIGKILL included) its session is shut down as on a
 * hang-up: the server's stdin closes, then stop after the grace, then removal.
 */
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closeOwnerOnly, listenOwnerOnly } from '../fs/owner-socket.js';
import type { SessionIo, ShutdownSignal } from './session.js';
import { decodeHeader, encodeFrame, FRAME, FrameReader, SIGNAL_NAMES, type ShimHeader } from './warm-frames.js';

/** What the broker asks of `run` for one shim (src/cli/run-entry.ts brokerMain). */
export interface BrokerRequest extends ShimHeader {
  io: SessionIo;
  /** Called once a member is claimed: from then on the session is the broker's. */
  accept(): void;
  /** The broker's engine (describeEndpoint): a client of another engine starts cold. */
  endpoint: string;
}

/** Resolves to the exit code, or undefined for "cold" (only before accept). */
export type BrokerRun = (request: BrokerRequest) => Promise<number | undefined>;

export interface BrokerServer {
  /** Open shim connections and sessions still ending: while above 0 the reaper stays. */
  readonly active: number;
  close(): void;
}

export interface BrokerOptions {
  /** The engine this broker's pool lives on (describeEndpoint). */
  endpoint: string;
  /** Loads the launcher on first use. */
  load(): Promise<BrokerRun>;
  /** Called when `active` drops to 0. */
  onIdle(): void;
  debug?(message: string): void;
}

/** sun_path holds 108 bytes with its NUL. */
const SUN_PATH_MAX = 107;

/** The broker's socket for this user (the temp directory as the shim computes it), or undefined when it does not fit sun_path. */
export function brokerSocketPath(dir: string = tmpdir()): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const file = path.join(dir, `mcp-sandbox-${uid}-broker.d`, 'broker.sock');
  return Buffer.byteLength(file) <= SUN_PATH_MAX ? file : undefined;
}

/** The pid lock beside the socket's directory: one broker per user. */
export function brokerLockFile(socketPath: string): string {
  return `${path.dirname(socketPath).replace(/\.d$/, '')}.pid`;
}

/** Listens on the broker socket (the caller holds the broker lock, so a socket there is stale). Undefined when it cannot. */
export async function listenBroker(socketPath: string, options: BrokerOptions): Promise<BrokerServer | undefined> {
  let active = 0;
  let loading: Promise<BrokerRun> | undefined;
  const release = (): void => {
    active -= 1;
    if (active === 0) options.onIdle();
  };
  const server = await listenOwnerOnly(socketPath, (socket) => {
    active += 1;
    brokerConnection(socket, () => (loading ??= options.load()), options, release);
  });
  if (!server) return undefined;
  return {
    get active() {
      return active;
    },
    close: () => closeOwnerOnly(server, socketPath),
  };
}

/** One shim: its header, then the session (or "cold"), then its exit code. */
function brokerConnection(socket: Socket, load: () => Promise<BrokerRun>, options: BrokerOptions, release: () => void): void {
  const reader = new FrameReader();
  const session = shimIo(socket);
  let started = false;
  let serving = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (!started) {
        started = true;
        const header = frame.type === FRAME.header ? decodeHeader(frame.payload) : undefined;
        if (!header) {
          options.debug?.('broker: malformed header, connection closed');
          socket.destroy();
          return;
        }
        serving = true;
        void serve(header, load, session, socket, options).finally(release);
      } else session.frame(frame.type, frame.payload);
    }
  });
  socket.on('close', () => {
    session.gone();
    if (!serving) release();
  });
}

async function serve(header: ShimHeader, load: () => Promise<BrokerRun>, session: ShimIo, socket: Socket, options: BrokerOptions): Promise<void> {
  let code: number | undefined;
  try {
    const run = await load();
    code = await run({ ...header, io: session.io, accept: session.accept, endpoint: options.endpoint });
  } catch (error) {
    options.debug?.(`broker: ${(error as Error).message}`);
    code = session.accepted ? 70 : undefined;
  }
  if (socket.destroyed) return;
  if (code === undefined || !session.accepted) socket.end(encodeFrame(FRAME.cold));
  else socket.end(encodeFrame(FRAME.exit, Buffer.from([code & 0xff])));
}

interface ShimIo {
  io: SessionIo;
  readonly accepted: boolean;
  accept(): void;
  /** A frame from the shim after its header. */
  frame(type: number, payload: Buffer): void;
  /** The shim's connection closed. */
  gone(): void;
}

/** The session's io over the shim's socket; stderr is held until accept (a cold answer drops it). */
function shimIo(socket: Socket): ShimIo {
  const stdin = new PassThrough();
  const handlers = new Set<(signal: ShutdownSignal) => void>();
  const held: Buffer[] = [];
  let accepted = false;
  let closed = false;
  const send = (type: number, chunk: Buffer, callback: () => void): void => {
    if (closed || socket.destroyed) return callback();
    socket.write(encodeFrame(type, chunk), () => callback());
  };
  const stdout = new Writable({ write: (chunk: Buffer, _encoding, callback) => send(FRAME.stdout, chunk, callback) });
  const stderr = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      if (accepted) return send(FRAME.stderr, chunk, callback);
      held.push(chunk);
      callback();
    },
  });
  const signal = (name: ShutdownSignal): void => {
    for (const handler of [...handlers]) handler(name);
  };
  return {
    io: {
      stdin,
      stdout,
      stderr,
      onSignal(handler) {
        handlers.add(handler);
        // A shim gone before the session subscribed (while its member was claimed) is a hang-up all the same.
        if (closed) setImmediate(() => handlers.has(handler) && handler('SIGHUP'));
        return () => handlers.delete(handler);
      },
    },
    get accepted() {
      return accepted;
    },
    accept() {
      if (accepted || closed) return;
      accepted = true;
      socket.write(encodeFrame(FRAME.warm));
      for (const chunk of held.splice(0)) socket.write(encodeFrame(FRAME.stderr, chunk));
    },
    frame(type, payload) {
      if (type === FRAME.input) stdin.write(payload);
      else if (type === FRAME.inputEnd) stdin.end();
      else if (type === FRAME.outputClosed) stdout.destroy(Object.assign(new Error('the client closed its stdout'), { code: 'EPIPE' }));
      else if (type === FRAME.signal) {
        const name = SIGNAL_NAMES.get(payload[0] ?? 0);
        if (name) signal(name);
      }
    },
    gone() {
      if (closed) return;
      closed = true;
      // As a hang-up: the server's stdin closes, it gets its grace, then it is stopped and removed.
      if (!stdin.writableEnded) stdin.end();
      signal('SIGHUP');
    },
  };
}

/** The broker's launcher: dist/run.cjs beside this bundle, loaded with its code cache (src/cli/run-loader.ts). */
export function bundleRun(from: string = import.meta.url): () => Promise<BrokerRun> {
  return async () => {
    const dir = path.dirname(fileURLToPath(from));
    const loader = path.join(dir, 'run-loader.js');
    const bundle = path.join(dir, 'run.cjs');
    if (!existsSync(loader) || !existsSync(bundle)) throw new Error('dist/run.cjs missing');
    const { loadBundle } = (await import(pathToFileURL(loader).href)) as typeof import('../cli/run-loader.js');
    const { brokerMain } = loadBundle(bundle);
    return brokerMain;
  };
}
