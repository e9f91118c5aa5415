/**
 * A JSON reader over a line's pieces that never makes the long strings: a string of `longAt`
 * bytes or more becomes a `LongString` (its length as JavaScript and ajv count it, and its first
 * characters); everything else is the value JSON.parse gives. The gate decides on a long
 * client request from this skeleton (method, tool name, the arguments' shape and lengths) and
 * forwards the original bytes, so a 10 MB request is never held as joined bytes, text and
 * parsed object besides its pieces (BENCHMARKS.md, gate section).
 *
 * Anything it is not sure to read exactly as JSON.parse would (invalid JSON, invalid UTF-8
 * inside a long string, nesting deeper than MAX_DEPTH) gives undefined: the caller then parses
 * the line the ordinary way. (One leniency: see StringCounter.)
 */

import { isAscii } from 'node:buffer';

/** A string too long to be made: what the gate needs to know of it. */
export class LongString {
  constructor(
    /** Length in UTF-16 code units (String.prototype.length). */
    readonly length: number,
    /** Length in code points, a surrogate pair counting once (as ajv's minLength/maxLength count). */
    readonly codePoints: number,
    /** The first characters (up to HEAD_CHARS), decoded. */
    readonly head: string,
  ) {}
}

/**
 * Thrown where a decision needs more of a long string than its skeleton holds (its whole
 * value): the caller reads the message the ordinary way and decides again.
 */
export class NeedsWholeMessage extends Error {}

/** Whether `value` holds a LongString anywhere. */
export function holdsLong(value: unknown): boolean {
  if (value instanceof LongString) return true;
  if (Array.isArray(value)) return value.some(holdsLong);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsLong);
  return false;
}

/** Characters of a long string kept as its head (what an audit summary shows, and more). */
export const HEAD_CHARS = 4096;
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Reads the line from its pieces, taken one after the other (a spilled line's are read back
 * from its file as the reader goes); undefined when it cannot be read exactly (see above).
 */
export function readSkeleton(parts: Iterable<Buffer>, longAt: number): unknown {
  try {
    const reader = new Reader(parts[Symbol.iterator](), longAt);
    const value = reader.value(0);
    reader.skipSpace();
    return reader.atEnd() ? value : undefined;
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
}

class Unreadable extends Error {}

const fail = (): never => {
  throw new Unreadable();
};

class Reader {
  /** The piece being read (undefined: past the last one). */
  private piece: Buffer | undefined;
  private at = 0;

  constructor(private readonly source: Iterator<Buffer>, private readonly longAt: number) {
    this.piece = this.nextPiece();
    this.settle();
  }

  private nextPiece(): Buffer | undefined {
    const next = this.source.next();
    return next.done === true ? undefined : next.value;
  }

  /** Moves past exhausted pieces. */
  private settle(): void {
    while (this.piece !== undefined && this.at >= this.piece.length) {
      this.piece = this.nextPiece();
      this.at = 0;
    }
  }

  atEnd(): boolean {
    return this.piece === undefined;
  }

  private peek(): number {
    return this.piece === undefined ? -1 : (this.piece[this.at] as number);
  }

  private next(): number {
    const byte = this.peek();
    if (byte === -1) fail();
    this.at += 1;
    this.settle();
    return byte;
  }

  skipSpace(): void {
    for (let byte = this.peek(); byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09; byte = this.peek()) this.next();
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) fail();
    this.skipSpace();
    const byte = this.peek();
    if (byte === 0x7b) return this.object(depth);
    if (byte === 0x5b) return this.array(depth);
    if (byte === QUOTE) return this.string();
    return this.literal();
  }

  private object(depth: number): Record<string, unknown> {
    this.next();
    // Keys come from the client: a null-prototype object, so "__proto__" stays a plain key (as with JSON.parse).
    const out = Object.create(null) as Record<string, unknown>;
    this.skipSpace();
    if (this.peek() === 0x7d) {
      this.next();
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.peek() !== QUOTE) fail();
      const key = this.string();
      if (typeof key !== 'string') fail();
      this.skipSpace();
      if (this.next() !== 0x3a) fail();
      out[key as string] = this.value(depth + 1);
      this.skipSpace();
      const byte = this.next();
      if (byte === 0x7d) return out;
      if (byte !== 0x2c) fail();
    }
  }

  private array(depth: number): unknown[] {
    this.next();
    const out: unknown[] = [];
    this.skipSpace();
    if (this.peek() === 0x5d) {
      this.next();
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const byte = this.next();
      if (byte === 0x5d) return out;
      if (byte !== 0x2c) fail();
    }
  }

  /** A number, true, false or null: its bytes up to the next delimiter, parsed by JSON.parse. */
  private literal(): unknown {
    const bytes: number[] = [];
    for (let byte = this.peek(); byte !== -1 && !isDelimiter(byte); byte = this.peek()) {
      bytes.push(this.next());
      if (bytes.length > 400) fail();
    }
    if (bytes.length === 0) fail();
    try {
      return JSON.parse(String.fromCharCode(...bytes)) as unknown;
    } catch {
      return fail();
    }
  }

  /**
   * A string: its raw bytes are gathered as views of the pieces (no copy), then made by
   * JSON.parse when short, or counted as a LongString when `longAt` bytes or more.
   */
  private string(): string | LongString {
    this.next();
    let raw: Buffer[] = [];
    let rawLength = 0;
    // From `longAt` bytes on the string is counted as it goes, so its pieces are not kept (a
    // spilled line's are read back one at a time).
    let counter: StringCounter | undefined;
    // The string's bytes so far end in an odd run of backslashes: the next byte is escaped.
    let escaped = false;
    for (;;) {
      const piece = this.piece;
      if (!piece) return fail();
      const end = stringEnd(piece, this.at, escaped);
      const stop = end === -1 ? piece.length : end;
      if (counter) counter.feed(piece, this.at, stop);
      else {
        raw.push(piece.subarray(this.at, stop));
        rawLength += stop - this.at;
        if (rawLength >= this.longAt) {
          counter = new StringCounter();
          for (const chunk of raw) counter.feed(chunk, 0, chunk.length);
          raw = [];
        }
      }
      if (end === -1) escaped = endsEscaped(piece, this.at, escaped);
      this.at = stop;
      if (end !== -1) {
        this.next();
        return counter ? counter.finish() : shortString(raw, rawLength);
      }
      this.settle();
    }
  }
}

function isDelimiter(byte: number): boolean {
  return byte === 0x2c || byte === 0x7d || byte === 0x5d || byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Where the string's closing quote is in `piece` from `from` (-1: not in this piece). A quote
 * after an odd run of backslashes is escaped; `escaped` says the byte at `from` is (a run that
 * began in the previous piece).
 */
function stringEnd(piece: Buffer, from: number, escaped: boolean): number {
  for (let at = piece.indexOf(QUOTE, from); at !== -1; at = piece.indexOf(QUOTE, at + 1)) {
    let slashes = 0;
    let back = at - 1;
    for (; back >= from && piece[back] === BACKSLASH; back -= 1) slashes += 1;
    if (back < from && escaped) slashes += 1;
    if (slashes % 2 === 0) return at;
  }
  return -1;
}

/** Whether the bytes of `piece` from `from` on end in an odd run of backslashes (counting the carried one). */
function endsEscaped(piece: Buffer, from: number, escaped: boolean): boolean {
  let slashes = 0;
  let back = piece.length - 1;
  for (; back >= from && piece[back] === BACKSLASH; back -= 1) slashes += 1;
  if (back < from && escaped) slashes += 1;
  return slashes % 2 === 1;
}

function shortString(raw: Buffer[], length: number): string {
  const body = raw.length === 1 ? (raw[0] as Buffer) : Buffer.concat(raw, length);
  try {
    const value = JSON.parse(`"${body.toString('utf8')}"`) as unknown;
    // Invalid UTF-8 would be replaced by U+FFFD as JSON.parse of the decoded line does too.
    return typeof value === 'string' ? value : fail();
  } catch {
    return fail();
  }
}

/**
 * Counts a long string's content as it streams by: UTF-16 units and code points, with the
 * JSON escapes decoded, and keeps its first HEAD_CHARS characters. Strict: invalid UTF-8 or an
 * invalid escape makes the line unreadable here (JSON.parse's replacement rules are not redone).
 * Past the head, ASCII runs are not looked at byte by byte, so a raw control character there
 * (which JSON.parse refuses) is counted as a character: the request is then decided by policy,
 * where the ordinary path would have forwarded it unread.
 */
class StringCounter {
  private units = 0;
  private points = 0;
  /** UTF-8 continuation bytes still expected, and the allowed range of the next one. */
  private continuation = 0;
  private low = 0x80;
  private high = 0xbf;
  /** Escape state: 0 none, 1 after a backslash, 2-5 hex digits of \u read so far + 2. */
  private escape = 0;
  private hex = 0;
  /** The last unit was an escaped high surrogate (a following escaped low one pairs with it). */
  private pendingHigh = false;
  private headBytes: number[] = [];
  private headDone = false;
  private headUnits = 0;

  feed(piece: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to) {
      if (this.headDone && this.escape === 0 && this.continuation === 0) {
        // Up to the next backslash, an ASCII run is one unit and one code point per byte:
        // found natively (indexOf, isAscii), where a loop in JavaScript took ~4 ns a byte.
        const slash = piece.indexOf(BACKSLASH, at);
        const stop = slash === -1 || slash > to ? to : slash;
        if (stop > at && isAscii(piece.subarray(at, stop))) {
          this.units += stop - at;
          this.points += stop - at;
          this.pendingHigh = false;
          at = stop;
          continue;
        }
        // Not all ASCII, or at the backslash: byte by byte up to it (and through it), so each
        // byte is looked at once.
        for (const end = Math.max(stop, at + 1); at < end; at += 1) this.byte(piece[at] as number);
        continue;
      }
      this.byte(piece[at] as number);
      at += 1;
    }
  }

  private byte(byte: number): void {
    if (!this.headDone) this.headBytes.push(byte);
    if (this.escape > 0) this.escaped(byte);
    else if (this.continuation > 0) {
      if (byte < this.low || byte > this.high) fail();
      this.low = 0x80;
      this.high = 0xbf;
      this.continuation -= 1;
      if (this.continuation === 0) this.boundary();
    } else if (byte === BACKSLASH) this.escape = 1;
    else if (byte < 0x20) fail();
    else if (byte < 0x80) this.unit(1, true);
    else this.lead(byte);
  }

  private lead(byte: number): void {
    if (byte >= 0xc2 && byte <= 0xdf) this.expect(1, 0x80, 0xbf, 1);
    else if (byte === 0xe0) this.expect(2, 0xa0, 0xbf, 1);
    else if (byte === 0xed) this.expect(2, 0x80, 0x9f, 1);
    else if (byte >= 0xe1 && byte <= 0xef) this.expect(2, 0x80, 0xbf, 1);
    else if (byte === 0xf0) this.expect(3, 0x90, 0xbf, 2);
    else if (byte === 0xf4) this.expect(3, 0x80, 0x8f, 2);
    else if (byte >= 0xf1 && byte <= 0xf3) this.expect(3, 0x80, 0xbf, 2);
    else fail();
  }

  private pendingUnits = 0;

  private expect(count: number, low: number, high: number, units: number): void {
    this.continuation = count;
    this.low = low;
    this.high = high;
    this.pendingUnits = units;
  }

  /** A multi-byte character is complete. */
  private boundary(): void {
    this.unit(this.pendingUnits, true);
  }

  private escaped(byte: number): void {
    if (this.escape === 1) {
      if (byte === 0x75) {
        this.escape = 2;
        this.hex = 0;
        return;
      }
      this.escape = 0;
      if (!'"\\/bfnrt'.includes(String.fromCharCode(byte))) fail();
      this.unit(1, true);
      return;
    }
    const digit = hexValue(byte);
    if (digit < 0) fail();
    this.hex = this.hex * 16 + digit;
    this.escape += 1;
    if (this.escape < 6) return;
    this.escape = 0;
    const code = this.hex;
    if (code >= 0xdc00 && code <= 0xdfff && this.pendingHigh) {
      // The second half of an escaped pair: one more unit, no more code points.
      this.pendingHigh = false;
      this.units += 1;
      this.headBoundary(1);
      return;
    }
    this.unit(1, false);
    this.pendingHigh = code >= 0xd800 && code <= 0xdbff;
  }

  private unit(units: number, clearsPair: boolean): void {
    this.units += units;
    this.points += 1;
    if (clearsPair) this.pendingHigh = false;
    this.headBoundary(units);
  }

  /** After a whole character: the head stops once it holds HEAD_CHARS units. */
  private headBoundary(units: number): void {
    if (this.headDone) return;
    this.headUnits += units;
    if (this.headUnits >= HEAD_CHARS) this.headDone = true;
  }

  finish(): LongString {
    if (this.escape > 0 || this.continuation > 0) fail();
    const body = Buffer.from(this.headBytes).toString('utf8');
    let head: string;
    try {
      head = JSON.parse(`"${body}"`) as string;
    } catch {
      return fail();
    }
    return new LongString(this.units, this.points, head);
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}
