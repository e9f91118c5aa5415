/**
 * Scanning a long server message while it is still arriving: each piece is scanned as it
 * comes (with an overlap so a token across two pieces is seen whole), so when the last byte is
 * in, only the last piece is left to scan and a clean message goes on at once. The scan only
 * flags; a flagged message is masked whole (core.ts), so a false flag at a piece edge costs
 * time, never correctness.
 *
 * A window is first checked as bytes, where its pieces are (SecretScanner.mayHoldPieces: an
 * escape, a declared value, a keyword of some token rule); only a window that may hold
 * something is joined, decoded and run through the rules. Decoding every piece and running the rules over it was most of the
 * gate's cost on a long answer (BENCHMARKS.md, gate section).
 */
import type { Line } from './framing.js';
import type { SecretScanner } from './secrets.js';

/**
 * Bytes carried from one window to the next: more than the longest token a rule matches (a PEM
 * private key; every token format is ASCII, one byte a character).
 */
export const PRESCAN_OVERLAP = 16 * 1024;
/** Bytes gathered before a scan, so that the overlap is a small share of what is scanned. */
const PRESCAN_STEP = 128 * 1024;

export class Prescan {
  /** The window's last PRESCAN_OVERLAP bytes, as the pieces (or their ends) they are in. */
  private tail: Buffer[] = [];
  private gathered: Buffer[] = [];
  private gatheredLength = 0;
  /** Bytes of the line scanned so far. */
  scanned = 0;
  flagged = false;

  constructor(private readonly scanner: SecretScanner) {}

  /** Scans one more piece of the line. */
  add(piece: Buffer): void {
    this.scanned += piece.length;
    if (this.flagged) return;
    this.gathered.push(piece);
    this.gatheredLength += piece.length;
    if (this.gatheredLength >= PRESCAN_STEP) this.window();
  }

  /** Scans what is left of the complete line; true when anything was flagged. */
  finish(line: Line): boolean {
    if (!this.flagged) {
      let skip = this.scanned;
      // A spilled line's pieces all came through add() (its parts would read the file back).
      if (skip < line.length) for (const part of line.parts) {
        if (skip < part.length) this.gathered.push(skip > 0 ? part.subarray(skip) : part);
        skip = Math.max(0, skip - part.length);
      }
      this.window();
    }
    return this.flagged;
  }

  private window(): void {
    const pieces = [...this.tail, ...this.gathered];
    this.gathered = [];
    this.gatheredLength = 0;
    // The bytes are checked where they are and the text is made only when they may hold
    // something (a window may begin or end inside a character: its decoding there is a
    // replacement character, never part of a token). Joining every window into one buffer to
    // check it was most of the garbage a long answer left. Token rules not loaded yet: flagged,
    // the whole line is scanned once they are (core.ts).
    if (this.scanner.mayHoldPieces(pieces) && (!this.scanner.ready || this.scanner.findInRaw(Buffer.concat(pieces).toString('utf8')).length > 0)) this.flagged = true;
    this.tail = lastBytes(pieces, PRESCAN_OVERLAP);
  }
}

/** The last `count` bytes of the pieces, as subarrays of them (no copy). */
function lastBytes(pieces: readonly Buffer[], count: number): Buffer[] {
  const kept: Buffer[] = [];
  let have = 0;
  for (let i = pieces.length - 1; i >= 0 && have < count; i -= 1) {
    const piece = pieces[i] as Buffer;
    const take = Math.min(piece.length, count - have);
    kept.unshift(take === piece.length ? piece : piece.subarray(piece.length - take));
    have += take;
  }
  return kept;
}
