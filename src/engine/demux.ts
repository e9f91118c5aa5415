/**
 * The attach stream without a TTY is multiplexed: each frame is an 8-byte header
 * ([stream, 0, 0, 0, size as uint32 BE]) and `size` bytes. This Writable splits frames and
 * forwards payloads to stdout/stderr, calling back only when the destination accepted them, so
 * a slow MCP client slows the container down instead of filling the launcher's memory.
 */
import { Writable } from 'node:stream';

export type Sink = ((chunk: Buffer, done: () => void) => void) & {
  /** Several chunks in one write (one writev syscall), without copying them together. */
  writev?: (chunks: Buffer[], done: () => void) => void;
};

/** A sink writing to a stream with backpressure: `done` waits for 'drain' when write() says so. */
export function streamSink(stream: NodeJS.WritableStream & { cork?: () => void; uncork?: () => void }): Sink {
  const settle = (ok: boolean, done: () => void): void => {
    if (ok) done();
    else stream.once('drain', done);
  };
  const sink: Sink = (chunk, done) => settle(stream.write(chunk), done);
  sink.writev = (chunks, done) => {
    // Corked writes leave as one writev when uncorked (net.Socket, pipes); others write in turn.
    stream.cork?.();
    let ok = true;
    for (const chunk of chunks) ok = stream.write(chunk);
    stream.uncork?.();
    settle(ok, done);
  };
  return sink;
}

export class Demuxer extends Writable {
  private header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private stream = 1;
  private readonly sinks: Record<number, Sink>;

  constructor(stdout: Sink, stderr: Sink) {
    super();
    // 0 = stdin (never sent by the engine), 1 = stdout, 2 = stderr.
    this.sinks = { 0: stdout, 1: stdout, 2: stderr };
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward(this.split(chunk, []), callback);
  }

  /**
   * Chunks that queued up while the destination was slow (backpressure) arrive here together,
   * and leave as one write per stream instead of one per chunk.
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const parts: Array<[number, Buffer]> = [];
    for (const { chunk } of chunks) this.split(chunk, parts);
    this.forward(parts, callback);
  }

  /** Appends the payload pieces in `chunk` to `parts`, as [stream, bytes]. */
  private split(chunk: Buffer, parts: Array<[number, Buffer]>): Array<[number, Buffer]> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === 8) {
          this.stream = this.header[0] as number;
          this.remaining = this.header.readUInt32BE(4);
          this.headerFill = 0;
        }
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      parts.push([this.stream, chunk.subarray(offset, offset + take)]);
      this.remaining -= take;
      offset += take;
    }
    return parts;
  }

  /**
   * Hands the pieces to the sinks at once (nothing waits for more data), but consecutive pieces
   * of the same stream as one buffer: one socket read often holds many small frames (the engine
   * frames each read of the server's pipe, 4 KB under gVisor), and a write per frame meant a
   * syscall per 4 KB where the docker CLI writes up to 32 KB at a time.
   */
  private forward(parts: Array<[number, Buffer]>, callback: (error?: Error | null) => void): void {
    const runs: Array<[Sink, Buffer[]]> = [];
    for (let i = 0; i < parts.length; ) {
      const stream = (parts[i] as [number, Buffer])[0];
      let j = i + 1;
      while (j < parts.length && (parts[j] as [number, Buffer])[0] === stream) j += 1;
      runs.push([this.sinks[stream] ?? (this.sinks[1] as Sink), parts.slice(i, j).map((p) => p[1])]);
      i = j;
    }
    let pending = runs.length;
    if (pending === 0) {
      callback();
      return;
    }
    const done = (): void => {
      pending -= 1;
      if (pending === 0) callback();
    };
    for (const [sink, chunks] of runs) {
      if (chunks.length === 1) sink(chunks[0] as Buffer, done);
      else if (sink.writev) sink.writev(chunks, done);
      else sink(Buffer.concat(chunks), done);
    }
  }
}
