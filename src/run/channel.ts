/**
 * The session's two byte channels over the attach stream: client stdin -> container stdin, and
 * container stdout/stderr (demultiplexed) -> our stdout/stderr, both with backpressure. With a
 * `MessageStage` the client's bytes pass through `stage.toServer` and the server's stdout
 * through `stage.toClient`; without one the streams are piped directly (no extra stream).
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { Demuxer, streamSink, type Sink } from '../engine/demux.js';
import { reclaimer } from './reclaim.js';
import type { MessageStage } from './stage.js';

export interface ChannelIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

export interface ChannelEvents {
  /** The client's stdin ended (or failed). */
  onClientEof(): void;
  /** Our stdout failed: the client stopped reading. */
  onOutputClosed(): void;
  /** Once, when the server's first stdout bytes have been handed to our stdout. */
  onFirstOutput?(): void;
  debug(message: string): void;
}

export interface Channels {
  /** Settles once the server's last output has been handed on (the attach stream ended). */
  outputDone: Promise<void>;
  /** Ends the server's stdin: it sees EOF, its remaining output still flows back. Idempotent. */
  closeStdin(): void;
  /** Detaches from our stdio and drops the attach stream. */
  release(): void;
}

/** Connects the attach `socket` to `io`, through `stage` when there is one. */
export function openChannels(socket: Duplex, io: ChannelIo, events: ChannelEvents, stage?: MessageStage): Channels {
  const toClient = stage ? stage.toClient : io.stdout;
  const outputDone = serverToClient(socket, toClient, io.stderr, stage ? undefined : events.onFirstOutput);
  if (stage) {
    stage.toClient.pipe(io.stdout, { end: false });
    if (events.onFirstOutput) stage.toClient.once('data', () => setImmediate(() => events.onFirstOutput?.()));
  }
  // Big messages leave big garbage: collect it as it accumulates (see reclaim.ts).
  const reclaim = reclaimer();
  socket.on('data', (chunk: Buffer) => reclaim(chunk.length));
  io.stdin.on('data', (chunk: Buffer) => reclaim(chunk.length));
  socket.on('error', (error) => events.debug(`attach stream error: ${error.message}`));
  const toServer = clientToServer(socket, io.stdin, stage);
  io.stdin.on('end', events.onClientEof);
  io.stdin.on('error', events.onClientEof);
  io.stdout.on('error', events.onOutputClosed);
  const stageDone = stage ? ended(stage.toClient) : Promise.resolve();
  return {
    outputDone: outputDone.then(() => {
      stage?.toClient.end();
      return stageDone;
    }),
    closeStdin: toServer.close,
    release: () => {
      toServer.close();
      toServer.unpipe();
      io.stdout.off('error', events.onOutputClosed);
      if (stage) stage.toClient.unpipe(io.stdout);
      socket.destroy();
    },
  };
}

/** Demultiplexes the attach stream into `stdout` and `stderr`; settles when it has ended. */
function serverToClient(socket: Duplex, stdout: Writable, stderr: Writable, onFirstOutput?: () => void): Promise<void> {
  const stdoutSink = streamSink(stdout);
  let first = onFirstOutput;
  const sink: Sink = first
    ? (chunk, done) => {
        stdoutSink(chunk, done);
        const call = first;
        first = undefined;
        call?.();
      }
    : stdoutSink;
  const demuxer = new Demuxer(sink, streamSink(stderr));
  // The attach stream ends when the server's stdout and stderr close, i.e. after its last
  // bytes, even if that is after stdin EOF.
  const done = new Promise<void>((resolve) => {
    demuxer.on('finish', resolve);
    demuxer.on('error', () => resolve());
    socket.on('error', () => resolve());
    socket.on('close', () => setImmediate(resolve));
  });
  socket.pipe(demuxer);
  return done;
}

/** Pipes the client's bytes into the server's stdin (through the stage's toServer, if any). */
function clientToServer(socket: Duplex, stdin: Readable, stage?: MessageStage): { close(): void; unpipe(): void } {
  let closed = false;
  const halfClose = (): void => {
    if (!socket.destroyed && !socket.writableEnded) socket.end();
  };
  if (!stage) {
    stdin.pipe(socket, { end: false });
    return {
      close: () => {
        if (closed) return;
        closed = true;
        stdin.unpipe(socket);
        halfClose();
      },
      unpipe: () => stdin.unpipe(socket),
    };
  }
  const { toServer } = stage;
  stdin.pipe(toServer, { end: false });
  toServer.pipe(socket, { end: false });
  // What the stage emits after the client's EOF still reaches the server; then its stdin closes.
  toServer.once('end', halfClose);
  return {
    close: () => {
      if (closed) return;
      closed = true;
      stdin.unpipe(toServer);
      if (!toServer.writableEnded) toServer.end();
    },
    unpipe: () => {
      stdin.unpipe(toServer);
      toServer.unpipe(socket);
    },
  };
}

function ended(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded) resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}
