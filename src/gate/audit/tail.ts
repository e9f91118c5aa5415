/** Reading the end of a segment: its last complete line, for the next line's `prev`. */
import { promises as fs } from 'node:fs';
import { sha256Hex } from './chain.js';

const CHUNK = 64 * 1024;

export interface Tail {
  /** The last line without its newline; '' for an empty file. */
  line: string;
  /** sha256 hex of that line's bytes. */
  hash: string;
  /** False when the file ends in the middle of a line (a write cut short). */
  complete: boolean;
}

/** The last line of `file` (reading backwards in chunks, so a long file costs one chunk or so). */
export async function readTail(file: string): Promise<Tail> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { line: '', hash: sha256Hex(''), complete: true };
    const chunks: Buffer[] = [];
    let position = size;
    let complete: boolean | undefined;
    while (position > 0) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      if (complete === undefined) complete = buffer[length - 1] === 0x0a;
      chunks.unshift(buffer);
      const joined = Buffer.concat(chunks);
      const body = complete ? joined.subarray(0, joined.length - 1) : joined;
      const newline = body.lastIndexOf(0x0a);
      if (newline >= 0 || position === 0) {
        const last = body.subarray(newline + 1);
        return { line: last.toString('utf8'), hash: sha256Hex(last), complete };
      }
    }
    return { line: '', hash: sha256Hex(''), complete: true };
  } finally {
    await handle.close();
  }
}
