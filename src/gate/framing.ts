/**
 * Newline-delimited framing with a size cap. Lines come out as the exact bytes that came in
 * (newline included), so a message nothing touches can be forwarded unchanged. A line longer
 * than the cap is never held whole: its first bytes are kept (to find its id), the rest is
 * discarded up to the next newline.
 *
 * A line is handed on as the pieces it arrived in, not joined: a long message that the gate
 * forwards unchanged is written out piece by piece, so it is never held twice (pieces plus a
 * joined copy) in the launcher's memory.
 */
import { StringDecoder } from 'node:string_decoder';
import type { SpillFile } from './spill.js';

/** One line as the pieces it arrived in (their concatenation is the line). */
export interface Line {
  readonly parts: readonly Buffer[];
  /** Total bytes of the parts. */
  readonly length: number;
  /**
   * Set when the line was spilled to a file (spill.ts): its bytes are there, and `parts` reads
   * them all back into memory, for the rare paths that need the line whole.
   */
  readonly spill?: SpillFile;
}

/** Where a long line goes to a file instead of memory (the framer's option). */
export interface SpillOption {
  /** Held bytes from which the line goes to a file. */
  readonly at: number;
  open(): SpillFile | undefined;
  log?(message: string): void;
}

/** A spilled line: its bytes are read back only when a path asks for them whole. */
class SpilledLine implements Line {
  private loaded: Buffer[] | undefined;

  constructor(readonly spill: SpillFile, readonly length: number) {}

  get parts(): readonly Buffer[] {
    this.loaded ??= this.spill.readAll();
    return this.loaded;
  }
}

/** What goes out for a line forwarded as it came: its pieces, or its file. */
export function forwardable(line: Line): readonly Buffer[] | SpillFile {
  return line.spill ?? line.parts;
}

export interface FrameSink {
  /** One complete line, its newline included (absent only for a last line at end of input). */
  line(line: Line): void;
  /** A piece of a line still incomplete (lets the gate scan it while the rest is in transit). */
  partial?(piece: Buffer): void;
  /** A line over the cap: its first and last bytes and its full length. */
  oversize(head: Buffer, tail: Buffer, length: number): void;
}

/** How much of each end of an over-size line is kept to read its id from. */
export const OVERSIZE_HEAD_BYTES = 512;

export class LineFramer {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping: { head: Buffer; tail: Buffer; length: number } | undefined;
  /** The current line's file, once it is spilled; false: it stays in memory (no file could be made or written). */
  private spilled: SpillFile | false | undefined;

  constructor(private readonly maxBytes: number, private readonly sink: FrameSink, private readonly spill?: SpillOption) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl + 1;
      // A chunk that is one whole line (the usual small message) is taken as it is, no view made.
      const piece = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
      start = end;
      if (this.skipping) {
        this.skipping.length += piece.length;
        this.skipping.tail = lastBytes([this.skipping.tail, piece]);
      } else if (this.held + piece.length - (nl === -1 ? 0 : 1) > this.maxBytes) {
        const file = this.spilled || undefined;
        const first = file ? [file.head] : this.parts.slice(0, 2);
        const last = file ? [file.tail] : this.parts.slice(-1);
        const head = Buffer.concat([...first, piece.subarray(0, OVERSIZE_HEAD_BYTES)]).subarray(0, OVERSIZE_HEAD_BYTES);
        this.skipping = { head: Buffer.from(head), tail: lastBytes([...last, piece]), length: this.held + piece.length };
        file?.close();
        this.spilled = undefined;
        this.parts = [];
        this.held = 0;
      } else if (this.spilled) {
        this.held += piece.length;
        this.toFile(this.spilled, piece);
        // A spilled line's pieces are gone once written: the last one is scanned here too.
        this.sink.partial?.(piece);
      } else {
        this.parts.push(piece);
        this.held += piece.length;
        if (nl === -1) this.sink.partial?.(piece);
        if (nl === -1 && this.spill && this.spilled === undefined && this.held >= this.spill.at) this.startSpill(this.spill);
      }
      if (nl !== -1) this.complete();
    }
  }

  private startSpill(option: SpillOption): void {
    const file = option.open();
    this.spilled = file ?? false;
    if (!file) return;
    const parts = this.parts;
    this.parts = [];
    for (const part of parts) this.toFile(file, part);
  }

  /** Appends a piece to the file; a write that fails brings the line back into memory. */
  private toFile(file: SpillFile, piece: Buffer): void {
    if (!this.spilled) {
      // Back in memory, unless the line is being skipped (what was written could not be read back).
      if (!this.skipping) this.parts.push(piece);
      return;
    }
    try {
      file.append(piece);
      return;
    } catch (error) {
      this.spill?.log?.(`gate: writing a long message to its temporary file failed, holding it in memory: ${(error as Error).message}`);
    }
    this.spilled = false;
    try {
      this.parts = file.readAll();
      this.parts.push(piece);
    } catch (error) {
      // What was written cannot be read back: the line is lost, so it is skipped as one that
      // cannot pass (answered when its id can be read), never forwarded in part.
      this.spill?.log?.(`gate: reading a long message back from its temporary file failed: ${(error as Error).message}`);
      this.skipping = { head: file.head, tail: lastBytes([file.tail, piece]), length: this.held };
      this.parts = [];
      this.held = 0;
    } finally {
      file.close();
    }
  }

  /** End of input: a last line without a newline still counts. */
  end(): void {
    if (this.skipping || this.held > 0) this.complete();
  }

  private complete(): void {
    const spilled = this.spilled;
    this.spilled = undefined;
    if (this.skipping) {
      const { head, tail, length } = this.skipping;
      this.skipping = undefined;
      this.sink.oversize(head, tail, length);
      return;
    }
    const line: Line = spilled ? new SpilledLine(spilled, this.held) : { parts: this.parts, length: this.held };
    this.parts = [];
    this.held = 0;
    this.sink.line(line);
  }
}

/** A line from one buffer (the gate's own messages, tests). */
export function lineOf(bytes: Buffer): Line {
  return { parts: [bytes], length: bytes.length };
}

/** The line's first `count` bytes (a copy only when they span pieces). */
export function headOf(line: Line, count = OVERSIZE_HEAD_BYTES): Buffer {
  if (line.spill) return line.spill.head.subarray(0, count);
  const first = line.parts[0] ?? Buffer.alloc(0);
  if (first.length >= count || line.parts.length === 1) return first.subarray(0, count);
  const taken: Buffer[] = [];
  let have = 0;
  for (const part of line.parts) {
    if (have >= count) break;
    taken.push(part);
    have += part.length;
  }
  return Buffer.concat(taken).subarray(0, count);
}

/** The line's last `count` bytes (a copy only when they span pieces). */
export function tailOf(line: Line, count = OVERSIZE_HEAD_BYTES): Buffer {
  if (line.spill) return line.spill.tail.subarray(Math.max(0, line.spill.tail.length - count));
  const last = line.parts.at(-1) ?? Buffer.alloc(0);
  if (last.length >= count || line.parts.length === 1) return last.subarray(Math.max(0, last.length - count));
  const taken: Buffer[] = [];
  let have = 0;
  for (let i = line.parts.length - 1; i >= 0 && have < count; i -= 1) {
    const part = line.parts[i] as Buffer;
    taken.unshift(part);
    have += part.length;
  }
  const joined = Buffer.concat(taken);
  return joined.subarray(Math.max(0, joined.length - count));
}

/** The line's last byte (10 for a line with its newline). */
export function lastByteOf(line: Line): number | undefined {
  if (line.spill) return line.spill.tail.at(-1);
  return line.parts.at(-1)?.at(-1);
}

/** The line decoded as UTF-8, without joining its bytes first. */
export function textOf(line: Line): string {
  // toString() is UTF-8; without an encoding argument Node skips its encoding lookup, which every
  // message paid for in V8's unoptimized tiers.
  if (line.parts.length === 1) return (line.parts[0] as Buffer).toString();
  const decoder = new StringDecoder('utf8');
  const texts = line.parts.map((part) => decoder.write(part));
  texts.push(decoder.end());
  return texts.join('');
}

/** The line as one buffer (only where one is needed). */
export function bytesOf(line: Line): Buffer {
  if (line.spill) return line.spill.readAt(0, line.length);
  return line.parts.length === 1 ? (line.parts[0] as Buffer) : Buffer.concat(line.parts as Buffer[], line.length);
}

/** A copy of the last OVERSIZE_HEAD_BYTES of `parts`, joining pieces only when the last is shorter. */
export function lastBytes(parts: readonly Buffer[]): Buffer {
  const last = parts.at(-1);
  if (last && last.length >= OVERSIZE_HEAD_BYTES) return Buffer.from(last.subarray(last.length - OVERSIZE_HEAD_BYTES));
  const joined = Buffer.concat(parts as Buffer[]);
  return Buffer.from(joined.subarray(Math.max(0, joined.length - OVERSIZE_HEAD_BYTES)));
}

/**
 * The id of a request or response from its first or last bytes, when it can be read cheaply:
 * a top-level "id" member before any nested object or array opens, or the last member right
 * before the closing brace (where JSON.stringify of {jsonrpc, id, result} puts it after a
 * result). Undefined otherwise.
 */
export function sniffId(head: Buffer, tail: Buffer = Buffer.alloc(0)): string | number | undefined {
  const match =
    /^\s*\{[^{}[\]]*?"id"\s*:\s*(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")/.exec(head.toString('utf8')) ??
    /[,{]\s*"id"\s*:\s*(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")\s*\}\s*$/.exec(tail.toString('utf8'));
  if (!match) return undefined;
  try {
    return JSON.parse(match[1] as string) as string | number;
  } catch {
    return undefined;
  }
}

/** True when the first bytes show a top-level "method" member (a request, not a response). */
export function sniffIsRequest(head: Buffer): boolean {
  return /^\s*\{[^{}[\]]*?"method"\s*:/.test(head.toString('utf8'));
}
