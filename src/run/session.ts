/**
 * One stdio session: the container lifecycle the docker CLI's `run -i` performs, through an
 * `EngineClient`, as a pipeline of small parts:
 *
 *   [pull] -> create -> attach + wait(next-exit) registered -> start
 *          -> byte channels (./channel.ts, optionally through a MessageStage, ./stage.ts)
 *          -> on shutdown: escalate() (./escalate.ts) -> exit: diagnoseExit(), exitCode() (./exit.ts)
 *
 * stdout carries exactly the server's stdout bytes. Shutdown (client EOF, SIGINT/SIGTERM/SIGHUP,
 * or the client going away) half-closes the server's stdin, gives it `stopGrace` to exit, then
 * stops (TERM, KILL after 1 s) and kills. The container is created with AutoRemove, so the
 * engine removes it once it exits even when the launcher is dead; OOM is read from the engine's
 * event log, and the launcher also removes it explicitly on every path it lives through.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import type { EngineClient, WaitHandle, WaitResult } from '../engine/client.js';
import { classifyCreateError, engineCallFailed, imageMissing, pullFailed, startFailed } from '../engine/errors.js';
import { openChannels } from './channel.js';
import { escalate, settleWithin } from './escalate.js';
import { diagnoseExit, exitCode, exitCodeForSignal, oomLookup, type EndReason, type ShutdownSignal } from './exit.js';
import type { MessageStage } from './stage.js';

export { settleWithin } from './escalate.js';
export type { ShutdownSignal } from './exit.js';
export const SHUTDOWN_SIGNALS: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

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
  /** A message-level stage between client and server; absent = bytes are piped directly. */
  stage?: MessageStage;
  /** Launcher diagnostics (already filtered for --verbose by the caller). */
  debug(message: string): void;
  /** Messages that always matter (OOM, forced kill). */
  warn(message: string): void;
  /** Awaited after create, attach and wait, before start (the egress set coming up meanwhile). */
  beforeStart?(): Promise<void>;
  /** Called once the server runs. */
  onStarted?(id: string): void;
  /** A warm pool member already running and attached (src/run/warm.ts): no pull, create or start. */
  claimed?: { id: string; socket: Duplex; waitHandle: WaitHandle };
  /** Called once, when the server's first stdout bytes have been handed to stdout (e.g. its `initialize` answer). */
  onFirstOutput?(): void;
}

export interface SessionResult {
  exitCode: number;
  containerId?: string;
  oomKilled: boolean;
  /** How the session ended. */
  reason: EndReason;
}

/** What asked the session to end, first come first served. */
interface Shutdown {
  reason?: EndReason;
  signal?: ShutdownSignal;
  stoppedByUs: boolean;
  /** Replaced once the server runs; before that a request is only recorded. */
  request(reason: EndReason, signal?: ShutdownSignal): void;
}

/** Runs the session to the end and returns the launcher's exit code. Throws SandboxError before start. */
export async function runSession(options: SessionOptions): Promise<SessionResult> {
  const { io, debug } = options;
  const t0 = Date.now();
  const elapsed = (): string => `${Date.now() - t0} ms`;
  const shutdown: Shutdown = {
    stoppedByUs: false,
    request(reason, signal) {
      // Before the container runs, a signal just ends the launcher (cleanup below still runs).
      shutdown.reason ??= reason;
      shutdown.signal ??= signal;
    },
  };
  const unsubscribe = io.onSignal((signal) => shutdown.request('signal', signal));
  let id: string | undefined;
  try {
    if (options.claimed) id = options.claimed.id;
    else {
      if (options.pull === 'always') await pull(options);
      id = await create(options);
      debug(`created ${id.slice(0, 12)} runtime=${options.body.HostConfig.Runtime} (${elapsed()})`);
    }
    if (shutdown.reason) return { exitCode: exitCodeForSignal(shutdown.signal), containerId: id, oomKilled: false, reason: shutdown.reason };
    const { socket, waitHandle } = options.claimed ?? (await attachAndStart(options, id));
    debug(`started (${elapsed()})`);
    const startedAt = Date.now() / 1000;
    options.onStarted?.(id);
    const result = await carry(options, id, socket, waitHandle, shutdown, elapsed);
    return await finish(options, id, result, shutdown, startedAt);
  } finally {
    unsubscribe();
    if (id !== undefined) await remove(options, id, elapsed);
    await options.stage?.close().catch(() => undefined);
  }
}

/** Removes the container (AutoRemove may already be doing it: that counts as removed). */
async function remove(options: SessionOptions, id: string, elapsed: () => string): Promise<void> {
  try {
    await options.engine.remove(id, { force: true });
    options.debug(`removed container ${id.slice(0, 12)} (${elapsed()})`);
  } catch (error) {
    options.warn(`could not remove container ${id.slice(0, 12)}: ${(error as Error).message} (run \`mcp-sandbox gc\`)`);
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

/** Attach and wait, both registered before start (a fast exit must not be missed), then start. */
async function attachAndStart(options: SessionOptions, id: string): Promise<{ socket: Duplex; waitHandle: WaitHandle }> {
  const { engine } = options;
  let socket: Duplex;
  let waitHandle: WaitHandle;
  try {
    [socket, waitHandle] = await Promise.all([engine.attach(id), engine.wait(id, 'next-exit')]);
  } catch (error) {
    throw engineCallFailed('attaching to the container', error, engine.endpoint);
  }
  options.debug('attached');
  try {
    await options.beforeStart?.();
  } catch (error) {
    waitHandle.cancel();
    socket.destroy();
    throw error;
  }
  try {
    await engine.start(id);
  } catch (error) {
    waitHandle.cancel();
    socket.destroy();
    throw startFailed(error, engine.endpoint, options.body.HostConfig.Runtime);
  }
  return { socket, waitHandle };
}

/** Carries stdio until the server exits, running the shutdown sequence when asked. */
async function carry(options: SessionOptions, id: string, socket: Duplex, waitHandle: WaitHandle, shutdown: Shutdown, elapsed: () => string): Promise<WaitResult> {
  const { engine, debug } = options;
  let exited = false;
  const channels = openChannels(
    socket,
    options.io,
    { onClientEof: () => shutdown.request('stdin-eof'), onOutputClosed: () => shutdown.request('output-closed'), onFirstOutput: options.onFirstOutput, debug },
    options.stage,
  );
  const pending = shutdown.reason ? { reason: shutdown.reason, signal: shutdown.signal } : undefined;
  shutdown.reason = undefined;
  shutdown.signal = undefined;
  shutdown.request = (reason, signal) => {
    if (exited) return;
    if (shutdown.reason !== undefined) {
      // A second signal: no more patience.
      if (signal) {
        debug(`${signal} again: killing the server`);
        void engine.kill(id).catch(() => undefined);
      }
      return;
    }
    shutdown.reason = reason;
    shutdown.signal = signal;
    debug(`shutdown (${signal ?? reason}) at ${elapsed()}: closing the server's stdin, ${options.stopGrace} s grace`);
    void escalate(
      {
        closeStdin: channels.closeStdin,
        stop: (t) => engine.stop(id, t),
        kill: () => engine.kill(id),
        exited: waitHandle.result,
        onStopping: () => (shutdown.stoppedByUs = true),
        debug,
        warn: options.warn,
      },
      { grace: options.stopGrace, stopTimeout: options.stopTimeout ?? 1 },
    );
  };
  if (pending) shutdown.request(pending.reason, pending.signal);

  let result: WaitResult;
  try {
    result = await waitHandle.result;
  } catch (error) {
    throw engineCallFailed('waiting for the server', error, engine.endpoint);
  } finally {
    exited = true;
  }
  debug(`server exited with ${result.StatusCode} (${elapsed()})`);
  // Let the server's last bytes through before reporting (bounded: a wedged client must not hang us).
  await settleWithin(channels.outputDone, 2000);
  channels.release();
  if (result.Error?.Message) debug(`engine reported: ${result.Error.Message}`);
  return result;
}

/** Reads what the exit means (OOM from the engine's event log when the code says "killed") and picks the exit code. */
async function finish(options: SessionOptions, id: string, result: WaitResult, shutdown: Shutdown, startedAt: number): Promise<SessionResult> {
  const lookup = oomLookup(result.StatusCode, shutdown.stoppedByUs);
  let oomKilled: boolean | undefined;
  if (lookup) {
    try {
      const until = Date.now() / 1000 + lookup.lingerMs / 1000;
      const events = await options.engine.events({ container: [id], event: ['oom'] }, startedAt - 1, until);
      oomKilled = events.length > 0;
    } catch (error) {
      options.debug(`reading the engine's events after exit failed: ${(error as Error).message}`);
    }
  }
  const diagnosis = diagnoseExit({ statusCode: result.StatusCode, oomKilled, stoppedByUs: shutdown.stoppedByUs, memoryLimit: options.body.HostConfig.Memory });
  if (diagnosis.warning) options.warn(diagnosis.warning);
  const code = exitCode({ statusCode: result.StatusCode, oomKilled: diagnosis.oomKilled, reason: shutdown.reason, signal: shutdown.signal, stoppedByUs: shutdown.stoppedByUs });
  return { exitCode: code, containerId: id, oomKilled: diagnosis.oomKilled, reason: shutdown.reason ?? 'exited' };
}
