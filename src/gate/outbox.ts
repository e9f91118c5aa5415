/**
 * What one direction of the gate pushes to its readable side, in order. Buffers go on at once,
 * as before spilling existed; a line spilled to a file (spill.ts) is read back a piece at a
 * time and pushed only while the stream takes it (push() true), the rest when the reader asks
 * again (pull, from the stream's read). What the gate sends meanwhile waits behind it, so
 * nothing overtakes a line still coming out of its file.
 */
import type { Readable } from 'node:stream';
import { SPILL_READ_BYTES, type SpillFile } from './spill.js';

/**
 * Bytes pushed from a file in one turn of the event loop: a reader that takes everything at
 * once (a 'data' listener) would otherwise get the whole file in one synchronous loop, with
 * no collection of the pieces already written out.
 */
const TURN_BYTES = 1024 * 1024;

export class Outbox {
  private queue: Array<Buffer | SpillFile> = [];
  private reading: { file: SpillFile; at: number } | undefined;
  private waiters: Array<() => void> = [];

  private turn = 0;
  private later: NodeJS.Immediate | undefined;

  constructor(private readonly target: Readable, private readonly hooks: { log?: (message: string) => void; reclaim?: (bytes: number) => void } = {}) {}

  push(bytes: Buffer): void {
    if (this.reading || this.queue.length > 0) this.queue.push(bytes);
    else this.target.push(bytes);
  }

  /** Forwards the file's bytes; the file stays open until they are out. */
  send(file: SpillFile): void {
    file.retain();
    this.queue.push(file);
    if (!this.reading) this.pull();
  }

  /** Undefined when nothing waits to go out; else resolves once all of it is pushed. */
  idle(): Promise<void> | undefined {
    if (!this.reading && this.queue.length === 0) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Pushes on until the stream wants no more or nothing is left. */
  pull(): void {
    // Nothing waits (the usual read of a stream of small messages), or a turn is scheduled.
    if (this.later || (!this.reading && this.queue.length === 0)) return;
    this.turn = 0;
    for (;;) {
      if (this.target.destroyed) return this.stop();
      if (this.reading) {
        if (!this.fromFile(this.reading)) return;
        continue;
      }
      const next = this.queue.shift();
      if (next === undefined) return this.wake();
      if (Buffer.isBuffer(next)) this.target.push(next);
      else this.reading = { file: next, at: 0 };
    }
  }

  /** One piece from the file; false when the stream is full (or the file failed). */
  private fromFile(reading: { file: SpillFile; at: number }): boolean {
    const { file } = reading;
    if (reading.at >= file.length) {
      file.release();
      this.reading = undefined;
      return true;
    }
    let piece: Buffer;
    try {
      piece = file.readAt(reading.at, Math.min(SPILL_READ_BYTES, file.length - reading.at));
    } catch (error) {
      // Part of the line may be out already: the stream ends rather than carry a broken message.
      this.hooks.log?.(`gate: reading a long message back from its temporary file failed: ${(error as Error).message}`);
      this.target.destroy(error as Error);
      this.stop();
      return false;
    }
    reading.at += piece.length;
    this.hooks.reclaim?.(piece.length);
    this.turn += piece.length;
    if (!this.target.push(piece)) return false;
    if (this.turn < TURN_BYTES) return true;
    this.later = setImmediate(() => {
      this.later = undefined;
      this.pull();
    });
    return false;
  }

  /** Session end or a failure: files close, waiters go on (the stream is gone or ending). */
  stop(): void {
    if (this.later) clearImmediate(this.later);
    this.later = undefined;
    this.reading?.file.release();
    this.reading = undefined;
    for (const item of this.queue) if (!Buffer.isBuffer(item)) item.release();
    this.queue = [];
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
