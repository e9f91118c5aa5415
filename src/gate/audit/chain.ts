/**
 * The hash chain of an audit file. Every line is one JSON object that starts with
 * `{"seq":N,"prev":"<sha256 hex>",…`: `prev` is the sha256 of the previous line's bytes (without
 * its newline), or for the first line of a day a hash of a fixed genesis string and the day's
 * stem; `seq` counts the day's lines from 1 across segments. Editing, inserting, deleting or
 * reordering a line therefore breaks the next line's `prev` or the `seq` sequence.
 */
import { hash } from 'node:crypto';

const GENESIS = 'mcp-sandbox audit chain v1\n';

/** One-shot crypto.hash (node 20.12+): no Hash object per line of the chain. */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

/** The `prev` of the first line of a day's chain. */
export function genesisHash(stem: string): string {
  return sha256Hex(`${GENESIS}${stem}`);
}

/** One line (no newline) from its chain position and the JSON text of the rest of the record. */
export function composeLine(seq: number, prev: string, bodyJson: string): string {
  const rest = bodyJson === '{}' ? '' : `,${bodyJson.slice(1, -1)}`;
  return `{"seq":${seq},"prev":"${prev}"${rest}}`;
}

const HEAD = /^\{"seq":(\d+),"prev":"([0-9a-f]{64})"/;

/** `seq` and `prev` read from a line's fixed prefix (cheap on long lines), or undefined. */
export function lineHead(line: string): { seq: number; prev: string } | undefined {
  const m = HEAD.exec(line);
  return m ? { seq: Number(m[1]), prev: m[2] as string } : undefined;
}
