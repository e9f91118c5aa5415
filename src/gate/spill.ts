/**
 * A long line the gate must hold (a client request until its verdict, a server answer while it
 * is scanned) kept in an unlinked owner-only temporary file instead of as its pieces in memory:
 * held in memory, a 10 MB echo set the launcher's peak RSS in each direction (docs/gate.md,
 * Memory). The file is made in a fresh 0700 directory under the temp dir, opened 0600 with
 * O_EXCL, and both are removed at once, so only the open descriptor reaches it and nothing is
 * left behind, whatever ends the session.
 *
 * The file's I/O is synchronous: it goes to the page cache (no fsync), a 64 KB read or write
 * is a few microseconds, and the framer, the skeleton reader and the forwarding stay in the
 * order the bytes came in without a queue of their own. A write that fails (disk full, I/O
 * error) reads back what was written and the line goes on in memory; a spill that cannot be
 * read back fails the line instead of passing on part of it.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OVERSIZE_HEAD_BYTES, lastBytes } from './framing.js';

/** What a spill file does to the disk (tests replace it to make the disk fail). */
export interface SpillIo {
  open(): number;
  write(fd: number, bytes: Buffer, position: number): number;
  read(fd: number, into: Buffer, position: number): number;
  close(fd: number): void;
}

/** Bytes read back at a time (the pipe's read size). */
export const SPILL_READ_BYTES = 64 * 1024;

export const diskIo: SpillIo = {
  open(): number {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-gate-'));
    const file = path.join(dir, 'line');
    try {
      const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
      unlinkSync(file);
      return fd;
    } finally {
      rmdirSync(dir);
    }
  },
  write: (fd, bytes, position) => writeSync(fd, bytes, 0, bytes.length, position),
  read: (fd, into, position) => readSync(fd, into, 0, into.length, position),
  close: (fd) => closeSync(fd),
};

export class SpillFile {
  /** The line's first and last bytes (copies), for its id and error flag. */
  head = Buffer.alloc(0);
  tail: Buffer = Buffer.alloc(0);
  length = 0;
  private fd: number | undefined;
  private users = 1;

  private constructor(private readonly io: SpillIo, fd: number) {
    this.fd = fd;
  }

  /** A new spill, or undefined when no file could be made (the line stays in memory). */
  static open(io: SpillIo, log?: (message: string) => void): SpillFile | undefined {
    try {
      return new SpillFile(io, io.open());
    } catch (error) {
      log?.(`gate: could not make a temporary file for a long message, holding it in memory: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Appends a piece; throws when the disk refused it (the bytes before it are in the file). */
  append(piece: Buffer): void {
    if (this.fd === undefined) throw new Error('spill file closed');
    for (let done = 0; done < piece.length; ) done += this.io.write(this.fd, done === 0 ? piece : piece.subarray(done), this.length + done);
    // Its id and error flag are read from these, as from a held line's (framing.ts).
    if (this.head.length < OVERSIZE_HEAD_BYTES) this.head = Buffer.concat([this.head, piece.subarray(0, OVERSIZE_HEAD_BYTES - this.head.length)]);
    this.tail = lastBytes([this.tail, piece]);
    this.length += piece.length;
  }

  /** All the bytes in pieces of SPILL_READ_BYTES, each a fresh buffer (they may be kept). */
  *pieces(): Generator<Buffer> {
    for (let at = 0; at < this.length; ) {
      const piece = this.readAt(at, Math.min(SPILL_READ_BYTES, this.length - at));
      at += piece.length;
      yield piece;
    }
  }

  /**
   * All the bytes in pieces read into two buffers in turn: a piece is valid until the one after
   * the next is read. For a reader that keeps at most the current and the previous piece (the
   * skeleton reader: its short strings are under one piece), and leaves no garbage.
   */
  *reusedPieces(): Generator<Buffer> {
    const ring = [Buffer.allocUnsafe(SPILL_READ_BYTES), Buffer.allocUnsafe(SPILL_READ_BYTES)];
    for (let at = 0, turn = 0; at < this.length; turn ^= 1) {
      const piece = this.readAt(at, Math.min(SPILL_READ_BYTES, this.length - at), ring[turn]);
      at += piece.length;
      yield piece;
    }
  }

  /** Reads `count` bytes at `position` (into `buffer` when given). */
  readAt(position: number, count: number, buffer?: Buffer): Buffer {
    if (this.fd === undefined) throw new Error('spill file closed');
    const into = buffer ? buffer.subarray(0, count) : Buffer.allocUnsafe(count);
    let have = 0;
    while (have < count) {
      const read = this.io.read(this.fd, have === 0 ? into : into.subarray(have), position + have);
      if (read === 0) throw new Error('spill file shorter than written');
      have += read;
    }
    return into;
  }

  /** All of it in memory (the rare paths: a message parsed or masked whole). */
  readAll(): Buffer[] {
    return [...this.pieces()];
  }

  /** One more user (a forwarding in progress): the file closes when the last one releases. */
  retain(): void {
    this.users += 1;
  }

  release(): void {
    this.users -= 1;
    if (this.users <= 0) this.close();
  }

  /** Closes the descriptor (the file was unlinked when made): at once, whoever still uses it. */
  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    this.users = 0;
    if (fd !== undefined) {
      try {
        this.io.close(fd);
      } catch {
        // Nothing to recover: the descriptor is gone either way.
      }
    }
  }

  get closed(): boolean {
    return this.fd === undefined;
  }
}
