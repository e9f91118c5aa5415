/**
 * One stdio session: the container lifecycle the docker CLI's `run -i` performs, through an
 * `EngineClient`:
 *
 *   [pull] -> create -> attach + wait(next-exit) registered -> start -> carry stdio -> exit
 *
 * stdout carries exactly the server's stdout bytes. Shutdown (client EOF, SIGINT/SIGTERM/SIGHUP,
 * or the client going away) half-closes the server's stdin, gives it `stopGrace` to exit, then
 * stops (TERM, KILL after 1 s) and kills. The container is created without AutoRemove so its
 * state (OOMKilled) can be read after exit; it is removed explicitly on every path, and a
 * launcher killed with SIGKILL leaves it to `mcp-sandbox gc` (or the next `run` of the profile).
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import { formatSize } from '../profile/units.js';
import { Demuxer, streamSink } from '../engine/demux.js';
import { reclaimer } from './reclaim.js';
import type { EngineClient, WaitHandle, WaitResult } from '../engine/client.js';
import { classifyCreateError, engineCallFailed, imageMissing, pullFailed, startFailed } from '../engine/errors.js';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const SHUTDOWN_SIGNALS: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBERS: Record<ShutdownSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface SessionIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Subscribes to shutdown signals; returns an unsubscribe function. */
  onSignal(handler: (signal: ShutdownSignal) => void): () => void;
}

export interface SessionOptions {
  engine: EngineClient;
  body: CreateBody;
  name?: string;
  pull: 'never' | 'missing' | 'always';
  /** Seconds between closing the server's stdin and stopping it. */
  stopGrace: number;
  /** Seconds `stop` waits after SIGTERM before SIGKILL. */
  stopTimeout?: number;
  io: SessionIo;
  /** Launcher diagnostics (already filtered for --verbose by the caller). */
  debug(message: string): void;
  /** Messages that always matter (OOM, forced kill). */
  warn(message: string): void;
  /** Called once the server runs. */
  onStarted?(id: string): void;
  /** Called once, when the server's first stdout bytes have been handed to stdout (e.g. its `initialize` answer). */
  onFirstOutput?(): void;
}

export interface SessionResult {
  exitCode: number;
  containerId?: string;
  oomKilled: boolean;
  /** How the session ended. */
  reason: 'exited' | 'stdin-eof' | 'signal' | 'output-closed';
}

/** Runs the session to the end and returns the launcher's exit code. Throws SandboxError before start. */
export async function runSession(options: SessionOptions): Promise<SessionResult> {
  const { engine, body, io, debug } = options;
  const t0 = Date.now();
  const elapsed = (): string => `${Date.now() - t0} ms`;
  let shutdownReason: SessionResult['reason'] | undefined;
  let shutdownSignal: ShutdownSignal | undefined;
  let requestShutdown: (reason: SessionResult['reason'], signal?: ShutdownSignal) => void = (reason, signal) => {
    // Before the container runs, a signal just ends the launcher (cleanup below still runs).
    shutdownReason ??= reason;
    shutdownSignal ??= signal;
  };
  const unsubscribe = io.onSignal((signal) => requestShutdown('signal', signal));
  let id: string | undefined;
  let removed = false;
  const remove = async (): Promise<void> => {
    if (id === undefined || removed) return;
    removed = true;
    try {
      await engine.remove(id, { force: true });
      debug(`removed container ${id.slice(0, 12)} (${elapsed()})`);
    } catch (error) {
      options.warn(`could not remove container ${id.slice(0, 12)}: ${(error as Error).message} (run \`mcp-sandbox gc\`)`);
    }
  };

  try {
    // --- create (with pull as the policy says) --------------------------------------------
    if (options.pull === 'always') await pull(options);
    id = await create(options);
    debug(`created ${id.slice(0, 12)} runtime=${body.HostConfig.Runtime} (${elapsed()})`);
    if (shutdownReason) return { exitCode: exitCodeForSignal(shutdownSignal), containerId: id, oomKilled: false, reason: shutdownReason };

    // --- attach and wait, both registered before start -------------------------------------
    let socket: Duplex;
    let waitHandle: WaitHandle;
    try {
      [socket, waitHandle] = await Promise.all([engine.attach(id), engine.wait(id, 'next-exit')]);
    } catch (error) {
      throw engineCallFailed('attaching to the container', error, engine.endpoint);
    }
    debug(`attached (${elapsed()})`);
    try {
      await engine.start(id);
    } catch (error) {
      waitHandle.cancel();
      socket.destroy();
      throw startFailed(error, engine.endpoint, body.HostConfig.Runtime);
    }
    debug(`started (${elapsed()})`);
    options.onStarted?.(id);

    return await carry(options, id, socket, waitHandle, {
      setRequest: (fn) => {
        requestShutdown = fn;
      },
      pending: shutdownReason ? { reason: shutdownReason, signal: shutdownSignal } : undefined,
      elapsed,
    });
  } finally {
    unsubscribe();
    await remove();
  }
}

async function pull(options: SessionOptions): Promise<void> {
  const image = options.body.Image;
  options.debug(`pulling ${image}`);
  try {
    await options.engine.pullImage(image);
  } catch (error) {
    throw pullFailed(image, error, options.engine.endpoint);
  }
}

async function create(options: SessionOptions): Promise<string> {
  const { engine, body } = options;
  const context = { endpoint: engine.endpoint, image: body.Image, runtime: body.HostConfig.Runtime };
  for (let attempt = 0; ; attempt += 1) {
    try {
      const { id, warnings } = await engine.createContainer(body, options.name);
      for (const warning of warnings) options.debug(`engine warning: ${warning}`);
      return id;
    } catch (error) {
      const classified = classifyCreateError(error, context);
      if (classified !== 'no-such-image') throw classified;
      if (options.pull === 'never') throw imageMissing(body.Image);
      if (attempt > 0) throw pullFailed(body.Image, new Error('the image is still missing after the pull'), engine.endpoint);
      await pull(options);
    }
  }
}

interface CarryControl {
  setRequest(fn: (reason: SessionResult['reason'], signal?: ShutdownSignal) => void): void;
  pending: { reason: SessionResult['reason']; signal: ShutdownSignal | undefined } | undefined;
  elapsed(): string;
}

/** Pipes stdio until the container exits, running the shutdown sequence when asked. */
async function carry(options: SessionOptions, id: string, socket: Duplex, waitHandle: WaitHandle, control: CarryControl): Promise<SessionResult> {
  const { engine, io, debug } = options;
  const stopTimeout = options.stopTimeout ?? 1;
  let exited = false;
  let reason: SessionResult['reason'] | undefined;
  let signal: ShutdownSignal | undefined;
  let stoppedByUs = false;
  const timers: NodeJS.Timeout[] = [];

  // Server -> client: demultiplex with backpressure. The attach stream ends when the server's
  // stdout and stderr close, i.e. after its last bytes, even if that is after stdin EOF.
  const stdoutSink = streamSink(io.stdout);
  let firstOutput = options.onFirstOutput;
  const demuxer = new Demuxer(
    firstOutput
      ? (chunk, done) => {
          stdoutSink(chunk, done);
          const call = firstOutput;
          firstOutput = undefined;
          call?.();
        }
      : stdoutSink,
    streamSink(io.stderr),
  );
  const outputDone = new Promise<void>((resolve) => {
    demuxer.on('finish', resolve);
    demuxer.on('error', () => resolve());
    socket.on('error', () => resolve());
    socket.on('close', () => setImmediate(resolve));
  });
  socket.pipe(demuxer);
  // Big messages leave big garbage: collect it as it accumulates (see reclaim.ts).
  const reclaim = reclaimer();
  socket.on('data', (chunk: Buffer) => reclaim(chunk.length));
  io.stdin.on('data', (chunk: Buffer) => reclaim(chunk.length));
  socket.on('error', (error) => debug(`attach stream error: ${error.message}`));

  // Client -> server.
  let stdinClosed = false;
  const closeStdin = (): void => {
    if (stdinClosed) return;
    stdinClosed = true;
    io.stdin.unpipe(socket);
    // Half-close: the server sees EOF on its stdin, its remaining output still flows back.
    if (!socket.destroyed) socket.end();
  };
  io.stdin.pipe(socket, { end: false });
  io.stdin.on('end', () => shutdown('stdin-eof'));
  io.stdin.on('error', () => shutdown('stdin-eof'));
  // A client that stops reading our stdout has gone away.
  const onOutputError = (): void => shutdown('output-closed');
  io.stdout.on('error', onOutputError);

  const shutdown = (why: SessionResult['reason'], sig?: ShutdownSignal): void => {
    if (exited) return;
    if (reason !== undefined) {
      // A second signal: no more patience.
      if (sig) {
        debug(`${sig} again: killing the server`);
        void engine.kill(id).catch(() => undefined);
      }
      return;
    }
    reason = why;
    signal = sig;
    debug(`shutdown (${sig ?? why}) at ${control.elapsed()}: closing the server's stdin, ${options.stopGrace} s grace`);
    closeStdin();
    timers.push(
      setTimeout(() => {
        if (exited) return;
        stoppedByUs = true;
        debug(`server still running after ${options.stopGrace} s: stopping it`);
        engine.stop(id, stopTimeout).catch((error: unknown) => debug(`stop failed: ${(error as Error).message}`));
        timers.push(
          setTimeout(() => {
            if (exited) return;
            options.warn('the server did not stop: killing it');
            engine.kill(id).catch((error: unknown) => debug(`kill failed: ${(error as Error).message}`));
          }, (stopTimeout + 3) * 1000),
        );
      }, options.stopGrace * 1000),
    );
  };
  control.setRequest(shutdown);
  if (control.pending) shutdown(control.pending.reason, control.pending.signal);

  let result: WaitResult;
  try {
    result = await waitHandle.result;
  } catch (error) {
    throw engineCallFailed('waiting for the server', error, engine.endpoint);
  } finally {
    exited = true;
    for (const timer of timers) clearTimeout(timer);
  }
  debug(`server exited with ${result.StatusCode} (${control.elapsed()})`);

  // Let the server's last bytes through before reporting (bounded: a wedged client must not hang us).
  await settleWithin(outputDone, 2000);
  closeStdin();
  io.stdin.unpipe(socket);
  io.stdout.off('error', onOutputError);
  socket.destroy();

  let oomKilled = false;
  // Only inspect when the code says "killed": the common clean exit costs no extra round trip.
  if (result.StatusCode >= 128 || result.StatusCode < 0) {
    try {
      // The engine records OOMKilled from the runtime's OOM event, which can arrive a little
      // after the exit event: for a SIGKILL exit, look again briefly before concluding.
      const retries = result.StatusCode === 137 && !stoppedByUs ? 5 : 0;
      let state = await engine.inspectContainer(id);
      for (let i = 0; i < retries && !state.State.OOMKilled; i += 1) {
        await delay(100);
        state = await engine.inspectContainer(id);
      }
      oomKilled = state.State.OOMKilled;
      if (oomKilled) {
        const limit = state.HostConfig.Memory ?? options.body.HostConfig.Memory;
        options.warn(`the server was killed: it hit its memory limit of ${limit ? formatSize(limit) : 'unknown size'} (raise resources.memory in the profile)`);
      } else if (result.StatusCode === 137 && !stoppedByUs) {
        // Under gVisor the engine does not always receive the OOM event for the sandbox.
        const limit = options.body.HostConfig.Memory;
        options.warn(
          limit
            ? `the server was killed (SIGKILL, exit 137), most likely by its memory limit of ${formatSize(limit)} (raise resources.memory in the profile)`
            : 'the server was killed (SIGKILL, exit 137) by something other than the launcher',
        );
      }
    } catch (error) {
      debug(`inspect after exit failed: ${(error as Error).message}`);
    }
  }
  if (result.Error?.Message) debug(`engine reported: ${result.Error.Message}`);

  let exitCode = result.StatusCode;
  if (oomKilled) exitCode = 137;
  else if (reason === 'signal') exitCode = exitCodeForSignal(signal);
  else if (stoppedByUs) exitCode = 0; // the client ended the session; stopping a lingering server is the normal end
  return { exitCode, containerId: id, oomKilled, reason: reason ?? 'exited' };
}

function exitCodeForSignal(signal: ShutdownSignal | undefined): number {
  return signal ? 128 + SIGNAL_NUMBERS[signal] : 0;
}

/** A referenced timer: an unreferenced one lets node exit mid-await (exit 13) when nothing else is pending. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise` at most `ms`, without keeping a timer alive afterwards. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
