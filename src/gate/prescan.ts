/**
 * Scanning a long server message while it is still arriving: each piece is scanned as it
 * comes (with an overlap so a token across two pieces is seen whole), so when the last byte is
 * in, only the last piece is left to scan and a clean message goes on at once. The scan only
 * flags; a flagged message is masked whole (core.ts), so a false flag at a piece edge costs
 * time, never correctness.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Line } from './framing.js';
import type { SecretScanner } from './secrets.js';

/** Characters carried from one piece to the next: more than the longest token a rule matches (a PEM private key). */
export const PRESCAN_OVERLAP = 16 * 1024;
/** Text gathered before a scan, so that the overlap is a small share of what is scanned. */
const PRESCAN_STEP = 128 * 1024;

export class Prescan {
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';
  private gathered: string[] = [];
  private gatheredLength = 0;
  /** Bytes of the line scanned so far. */
  scanned = 0;
  flagged = false;

  constructor(private readonly scanner: SecretScanner) {}

  /** Scans one more piece of the line. */
  add(piece: Buffer): void {
    this.scanned += piece.length;
    if (this.flagged) return;
    const text = this.decoder.write(piece);
    this.gathered.push(text);
    this.gatheredLength += text.length;
    if (this.gatheredLength >= PRESCAN_STEP) this.window();
  }

  /** Scans what is left of the complete line; true when anything was flagged. */
  finish(line: Line): boolean {
    if (!this.flagged) {
      let skip = this.scanned;
      for (const part of line.parts) {
        if (skip < part.length) this.gathered.push(this.decoder.write(part.subarray(skip)));
        skip = Math.max(0, skip - part.length);
      }
      this.gathered.push(this.decoder.end());
      this.window();
    }
    return this.flagged;
  }

  private window(): void {
    const window = this.tail + this.gathered.join('');
    this.gathered = [];
    this.gatheredLength = 0;
    if (this.scanner.findInRaw(window).length > 0) this.flagged = true;
    this.tail = window.slice(-PRESCAN_OVERLAP);
  }
}
