/**
 * The attach stream without a TTY is multiplexed: each frame is an 8-byte header
 * ([stream, 0, 0, 0, size as uint32 BE]) and `size` bytes. This Writable splits frames and
 * forwards payloads to stdout/stderr, calling back only when the destination accepted them, so
 * a slow MCP client slows the container down instead of filling the launcher's memory.
 */
import { Writable } from 'node:stream';

export type Sink = (chunk: Buffer, done: () => void) => void;

/** A sink writing to a stream with backpressure: `done` waits for 'drain' when write() says so. */
export function streamSink(stream: NodeJS.WritableStream): Sink {
  return (chunk, done) => {
    if (stream.write(chunk)) done();
    else stream.once('drain', done);
  };
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
    const parts: Array<[number, Buffer]> = [];
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
    let pending = parts.length;
    if (pending === 0) {
      callback();
      return;
    }
    const done = (): void => {
      pending -= 1;
      if (pending === 0) callback();
    };
    for (const [stream, payload] of parts) (this.sinks[stream] ?? this.sinks[1] as Sink)(payload, done);
  }
}
