/**
 * Newline-delimited framing with a size cap. Lines come out as the exact bytes that came in
 * (newline included), so a message nothing touches can be forwarded unchanged. A line longer
 * than the cap is never held whole: its first bytes are kept (to find its id), the rest is
 * discarded up to the next newline.
 */

export interface FrameSink {
  /** One complete line, its newline included (absent only for a last line at end of input). */
  line(bytes: Buffer): void;
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

  constructor(private readonly maxBytes: number, private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl + 1;
      const piece = chunk.subarray(start, end);
      start = end;
      if (this.skipping) {
        this.skipping.length += piece.length;
        this.skipping.tail = lastBytes([this.skipping.tail, piece]);
      } else if (this.held + piece.length - (nl === -1 ? 0 : 1) > this.maxBytes) {
        const head = Buffer.concat([...this.parts.slice(0, 2), piece.subarray(0, OVERSIZE_HEAD_BYTES)]).subarray(0, OVERSIZE_HEAD_BYTES);
        this.skipping = { head: Buffer.from(head), tail: lastBytes([...this.parts.slice(-1), piece]), length: this.held + piece.length };
        this.parts = [];
        this.held = 0;
      } else {
        this.parts.push(piece);
        this.held += piece.length;
        if (nl === -1) this.sink.partial?.(piece);
      }
      if (nl !== -1) this.complete();
    }
  }

  /** End of input: a last line without a newline still counts. */
  end(): void {
    if (this.skipping || this.held > 0) this.complete();
  }

  private complete(): void {
    if (this.skipping) {
      const { head, tail, length } = this.skipping;
      this.skipping = undefined;
      this.sink.oversize(head, tail, length);
      return;
    }
    const line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    this.sink.line(line);
  }
}

function lastBytes(parts: Buffer[]): Buffer {
  const joined = Buffer.concat(parts);
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
