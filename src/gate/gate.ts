/**
 * The MCP gate: a message stage between the client and the server (the session's
 * MessageStage). Creating it costs two streams; the protocol logic (core.ts) loads on the first
 * message, the validator and the token rules when a message first needs them, so the gate adds
 * nothing to start-up.
 *
 * Each direction frames lines (framing.ts) and hands them to the core one at a time, in order;
 * the next chunk is taken only when the lines before it are out (backpressure both ways). A line
 * the core decides at once (almost every one) is handled in the tick its chunk arrived in, with
 * no promise per message; only a decision that waits makes the direction wait with it.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { GateCore } from './core.js';
import type { Prescan } from './prescan.js';
import { LineFramer, headOf, sniffId, sniffIsRequest, tailOf, type Line, type SpillOption } from './framing.js';
import { Outbox } from './outbox.js';
import { SpillFile, diskIo, type SpillIo } from './spill.js';
import type { GateConfig, GateContext, GateStage } from './types.js';

type Side = 'client' | 'server';

/** Bytes each side of a direction buffers before it asks its writer to wait. */
const STREAM_HIGH_WATER_MARK = 1024 * 1024;
type Item = { kind: 'line'; line: Line; prescan?: Prescan | undefined } | { kind: 'oversize'; head: Buffer; tail: Buffer; length: number };

const EMPTY: Item = { kind: 'line', line: { parts: [], length: 0 } };
/** A line in pieces up to this size is joined before it goes out: one write per message. */
const JOIN_BELOW_BYTES = 64 * 1024;
/**
 * A line held from this many bytes on goes to a temporary file (spill.ts): chosen by
 * measurement (docs/gate.md, Memory). Not below the core's long-line size (core.ts), so a
 * spilled line always takes the core's long paths.
 */
export const SPILL_AT_BYTES = 2 * 1024 * 1024;

/** Test seams: the file I/O and the threshold. */
export interface GateSpillOptions {
  io?: SpillIo;
  at?: number;
}

function totalLength(parts: readonly Buffer[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

export function createGate(config: GateConfig, context: GateContext, spillOptions: GateSpillOptions = {}): GateStage {
  let core: GateCore | undefined;
  let loading: Promise<GateCore> | undefined;
  const streams: Partial<Record<'toServer' | 'toClient', Transform>> = {};
  const outboxes: Partial<Record<'toServer' | 'toClient', Outbox>> = {};
  // After its input ended a direction pushes nothing more (push after EOF is an error).
  const ended = new Set<Transform>();
  // A line forwarded unchanged comes as the pieces it arrived in. A short one goes out as one
  // buffer (one write to the socket or stdout, as without the gate); a long one piece by piece,
  // so it is never held twice; a spilled one from its file as the stream takes it.
  const emit = (stream: 'toServer' | 'toClient', bytes: Buffer | readonly Buffer[] | SpillFile): void => {
    const target = streams[stream];
    const outbox = outboxes[stream];
    if (!target || !outbox || ended.has(target) || target.destroyed) return;
    if (Buffer.isBuffer(bytes)) outbox.push(bytes);
    else if (bytes instanceof SpillFile) outbox.send(bytes);
    else if (bytes.length === 1) outbox.push(bytes[0] as Buffer);
    else if (totalLength(bytes) <= JOIN_BELOW_BYTES) outbox.push(Buffer.concat(bytes as Buffer[]));
    else for (const part of bytes) outbox.push(part);
  };
  const getCore = (): GateCore | Promise<GateCore> =>
    core ??
    (loading ??= import('./core.js').then((module) => {
      core = new module.GateCore(config, context, { toServer: (b) => emit('toServer', b), toClient: (b) => emit('toClient', b) });
      return core;
    }));
  const onEnd = (stream: Transform): void => {
    ended.add(stream);
  };
  const loaded = (): GateCore | undefined => core;
  const files = new Set<SpillFile>();
  const spill = spillOption(spillOptions, context, files);
  const hooks = (forward: 'toServer' | 'toClient'): DirectionHooks => ({ getCore, core: loaded, context, onEnd, outbox: () => outboxes[forward], spill });
  streams.toServer = direction('client', config.limits.maxMessageBytes, hooks('toServer'));
  streams.toClient = direction('server', config.limits.maxMessageBytes, hooks('toClient'));
  outboxes.toServer = new Outbox(streams.toServer, context);
  outboxes.toClient = new Outbox(streams.toClient, context);
  return {
    toServer: streams.toServer,
    toClient: streams.toClient,
    close: async (): Promise<void> => {
      outboxes.toServer?.stop();
      outboxes.toClient?.stop();
      for (const file of files) file.close();
      files.clear();
      try {
        core?.close();
      } catch (error) {
        context.log?.(`gate close: ${(error as Error).message}`);
      }
    },
  };
}

/** The framer's spill option: each file made is tracked, so the gate's close closes any still open. */
function spillOption(options: GateSpillOptions, context: GateContext, files: Set<SpillFile>): SpillOption {
  const io = options.io ?? diskIo;
  return {
    at: options.at ?? SPILL_AT_BYTES,
    log: context.log,
    open: (): SpillFile | undefined => {
      for (const file of files) if (file.closed) files.delete(file);
      const file = SpillFile.open(io, context.log);
      if (file) files.add(file);
      return file;
    },
  };
}

interface DirectionHooks {
  getCore(): GateCore | Promise<GateCore>;
  /** The core if it is loaded already (no waiting). */
  core(): GateCore | undefined;
  context: GateContext;
  onEnd(stream: Transform): void;
  /** Where this direction forwards to: its next chunk waits until a line from a file is out. */
  outbox(): Outbox | undefined;
  spill: SpillOption;
}

function direction(side: Side, maxBytes: number, hooks: DirectionHooks): Transform {
  const { getCore } = hooks;
  let items: Item[] = [];
  // The server's long lines are scanned for secrets piece by piece as they arrive (prescan.ts).
  // null: this line started before the core was loaded, so it is scanned whole at the end.
  let prescan: Prescan | null | undefined;
  const framer = new LineFramer(
    maxBytes,
    {
      line: (line) => {
        items.push({ kind: 'line', line, prescan: prescan ?? undefined });
        prescan = undefined;
      },
      partial:
        side === 'server'
          ? (piece) => {
              if (prescan === undefined) prescan = hooks.core()?.prescan() ?? null;
              prescan?.add(piece);
            }
          : undefined,
      oversize: (head, tail, length) => {
        prescan = undefined;
        items.push({ kind: 'oversize', head, tail, length });
      },
    },
    hooks.spill,
  );
  const run = (core: GateCore, batch: Item[], from: number): void | Promise<void> => runBatch(side, hooks.context, core, batch, from);
  const drain = (): void | Promise<void> => {
    const batch = items;
    items = [];
    if (batch.length === 0) return;
    const core = hooks.core();
    if (core) return run(core, batch, 0);
    return Promise.resolve(getCore()).then((loaded) => run(loaded, batch, 0));
  };
  /** Calls back at once when the lines are out, after them when one had to wait. */
  const settle = (callback: (error?: Error | null) => void): void => {
    let waiting: void | Promise<void>;
    try {
      waiting = drain();
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (waiting) waiting.then(() => afterOut(callback), callback);
    else afterOut(callback);
  };
  /** A line forwarded from its file is out before the next chunk is taken (backpressure). */
  const afterOut = (callback: (error?: Error | null) => void): void => {
    const idle = hooks.outbox()?.idle();
    if (idle) idle.then(() => callback(), callback);
    else callback();
  };
  const stream: Transform = new Transform({
    // Room for a few pipe reads while a line is being checked: with the default 16 KB every 64 KB
    // read from the server's stdout paused the pipe until the gate had taken it, and a long
    // message crawled in at one read per event-loop turn (BENCHMARKS.md, gate section).
    writableHighWaterMark: STREAM_HIGH_WATER_MARK,
    readableHighWaterMark: STREAM_HIGH_WATER_MARK,
    // The reader wants more: a line being forwarded from its file goes on.
    read(this: Transform, size: number): void {
      hooks.outbox()?.pull();
      Transform.prototype._read.call(this, size);
    },
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      framer.push(chunk);
      settle(callback);
    },
    flush(callback: TransformCallback): void {
      framer.end();
      const done = (error?: Error | null): void => {
        hooks.onEnd(stream);
        callback(error);
      };
      settle(done);
    },
  });
  return stream;
}

/** A bug in a policy must not end the session; the message is dropped, not let through. */
function dropFailed(side: Side, context: DirectionHooks['context'], core: GateCore, item: Item, error: unknown): void {
  const reason = (error as Error).message;
  context.log?.(`a ${side} message was dropped: ${reason}`);
  if (item.kind === 'line') {
    const head = headOf(item.line);
    core.failed(side, sniffId(head, tailOf(item.line)), sniffIsRequest(head), reason);
  }
}

/** Hands the batch on from `from`; a promise only when a line's decision has to wait. */
function runBatch(side: Side, context: DirectionHooks['context'], core: GateCore, batch: Item[], from: number): void | Promise<void> {
  for (let i = from; i < batch.length; i += 1) {
    const item = batch[i] as Item;
    // Dropped from the batch at once: a long line is garbage as soon as it is out.
    batch[i] = EMPTY;
    let waiting: void | Promise<void> = undefined;
    try {
      if (item.kind === 'line') waiting = side === 'client' ? core.fromClient(item.line) : core.fromServer(item.line, item.prescan);
      else core.oversize(side, sniffId(item.head, item.tail), sniffIsRequest(item.head), item.length);
    } catch (error) {
      dropFailed(side, context, core, item, error);
    }
    if (waiting) {
      return waiting.then(
        () => {
          decided(item);
          return runBatch(side, context, core, batch, i + 1);
        },
        (error: unknown) => {
          dropFailed(side, context, core, item, error);
          decided(item);
          return runBatch(side, context, core, batch, i + 1);
        },
      );
    }
    decided(item);
  }
}

/** The core is done with the line: its file closes once any forwarding from it is out. */
function decided(item: Item): void {
  if (item.kind === 'line') item.line.spill?.release();
}
