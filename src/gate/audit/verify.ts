/**
 * `mcp-sandbox audit verify`: walks each day's chain across its segments and names the first
 * line where it breaks, and how: a changed line (the next line's `prev` does not match its
 * hash), deleted or reordered lines (a `seq` jump), an inserted or duplicated line (a `seq`
 * going back, or a `prev` that skips it). A chain only proves what is followed by something:
 * lines cut off the end of the newest segment leave no trace (docs/audit.md).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { genesisHash, lineHead, sha256Hex } from './chain.js';
import { headFile, parseSegmentName, segmentFile } from './paths.js';

export interface ChainBreak {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  reason: string;
}

export interface VerifyReport {
  /** Every file checked, in chain order. */
  files: string[];
  lines: number;
  broken?: ChainBreak;
}

interface Cursor {
  seq: number;
  hash: string;
  /** Where the previous line is, for "that line was changed". */
  at?: { file: string; line: number };
  /** False for a file outside the writer's naming: its first line is taken as the start. */
  checkStart: boolean;
}

/** Verifies files (each expanded to every segment of its day) or, with none, the whole directory. */
export function verifyAuditFiles(files: readonly string[], dir?: string): VerifyReport {
  const chains = groupChains(files.length > 0 ? files.map((f) => path.resolve(f)) : listDir(dir as string));
  const report: VerifyReport = { files: [], lines: 0 };
  for (const chain of chains) {
    const broken = verifyChain(chain, report);
    if (broken) return { ...report, broken };
  }
  return report;
}

function listDir(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => parseSegmentName(f) !== undefined)
    .map((f) => path.join(dir, f));
}

interface Chain {
  stem?: string;
  segments: Array<{ file: string; index: number }>;
}

/** One chain per (directory, day stem), with every segment on disk; other files stand alone. */
function groupChains(files: string[]): Chain[] {
  const chains = new Map<string, Chain>();
  for (const file of files) {
    const name = parseSegmentName(path.basename(file));
    if (!name) {
      chains.set(file, { segments: [{ file, index: 0 }] });
      continue;
    }
    const key = path.join(path.dirname(file), name.stem);
    if (chains.has(key)) continue;
    const segments = readdirSync(path.dirname(file))
      .map((f) => ({ f, n: parseSegmentName(f) }))
      .filter(({ n }) => n?.stem === name.stem)
      .map(({ f, n }) => ({ file: path.join(path.dirname(file), f), index: (n as { index: number }).index }))
      .sort((a, b) => a.index - b.index);
    chains.set(key, { stem: name.stem, segments });
  }
  return [...chains.values()].sort((a, b) => (a.segments[0]!.file < b.segments[0]!.file ? -1 : 1));
}

function verifyChain(chain: Chain, report: VerifyReport): ChainBreak | undefined {
  const cursor: Cursor = { seq: 0, hash: chain.stem === undefined ? '' : genesisHash(chain.stem), checkStart: chain.stem !== undefined };
  for (const [position, segment] of chain.segments.entries()) {
    if (segment.index !== position) {
      const missing = path.join(path.dirname(segment.file), segmentFile(chain.stem as string, position));
      return { file: missing, line: 1, reason: 'segment missing: the chain continues in a later segment, so this one was deleted or renamed' };
    }
    report.files.push(segment.file);
    const broken = verifySegment(segment.file, cursor, report);
    if (broken) return broken;
  }
  return chain.stem === undefined ? undefined : checkHead(path.join(path.dirname(chain.segments[0]!.file), headFile(chain.stem)), cursor);
}

/**
 * The chain's end against the day's head file. A head behind the chain is accepted (a writer
 * stopped between its append and the head's update); ahead of it, or naming another hash for
 * the same line, it is a break. A missing head (files from before heads, or deleted) is not.
 */
function checkHead(file: string, cursor: Cursor): ChainBreak | undefined {
  let head: { seq?: unknown; hash?: unknown };
  try {
    head = JSON.parse(readFileSync(file, 'utf8')) as { seq?: unknown; hash?: unknown };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { file, line: 1, reason: 'head file unreadable or not JSON' };
  }
  const last = cursor.at ?? { file, line: 1 };
  if (typeof head.seq !== 'number' || typeof head.hash !== 'string') return { file, line: 1, reason: 'head file has no seq and hash' };
  if (head.seq > cursor.seq) return { file: last.file, line: last.line + 1, reason: `lines cut off the end: the head records seq ${head.seq}, the chain ends at seq ${cursor.seq}` };
  if (head.seq === cursor.seq && head.hash !== cursor.hash) return { ...last, reason: 'last line changed after it was written: its hash does not match the day\'s head file' };
  return undefined;
}

function splitLines(data: Buffer): { lines: Buffer[]; complete: boolean } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, start)) {
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  if (start < data.length) lines.push(data.subarray(start));
  return { lines, complete: start === data.length };
}

function verifySegment(file: string, cursor: Cursor, report: VerifyReport): ChainBreak | undefined {
  const { lines, complete } = splitLines(readFileSync(file));
  for (let i = 0; i < lines.length; i += 1) {
    const at = { file, line: i + 1 };
    const text = (lines[i] as Buffer).toString('utf8');
    const head = lineHead(text);
    if (!head || !isJson(text)) return { ...at, reason: head ? 'not valid JSON' : 'not a chained audit record (each line starts {"seq":N,"prev":"<sha256>",…)' };
    if (i === lines.length - 1 && !complete) return { ...at, reason: 'incomplete last line (no newline): the write was cut short or the line was edited' };
    if (!cursor.checkStart) {
      cursor.checkStart = true;
    } else {
      const broken = checkLink(head, cursor, at, lines[i + 1]);
      if (broken) return broken;
    }
    cursor.seq = head.seq;
    cursor.hash = sha256Hex(lines[i] as Buffer);
    cursor.at = at;
    report.lines += 1;
  }
  return undefined;
}

/** Is this line the one that should follow the cursor? If not, which line broke and how. */
function checkLink(head: { seq: number; prev: string }, cursor: Cursor, at: { file: string; line: number }, next: Buffer | undefined): ChainBreak | undefined {
  const expected = cursor.seq + 1;
  if (head.seq > expected) {
    const n = head.seq - expected;
    return { ...at, reason: `seq ${head.seq} where ${expected} was expected: ${n === 1 ? 'a line' : `${n} lines`} before it deleted, or lines reordered` };
  }
  if (head.seq < expected) return { ...at, reason: `seq ${head.seq} where ${expected} was expected: a line inserted, duplicated or moved here` };
  if (head.prev === cursor.hash) return undefined;
  // The next line linking past this one means this one was put in between.
  const nextHead = next ? lineHead(next.toString('utf8')) : undefined;
  if (nextHead && nextHead.prev === cursor.hash) return { ...at, reason: 'line inserted: the next line links to the line before it' };
  if (!cursor.at) return { ...at, reason: 'prev is not the start of this day\'s chain: the file was renamed, replaced, or its first lines removed' };
  return { ...cursor.at, reason: `line changed after it was written: its hash no longer matches the prev recorded on ${path.basename(at.file)}:${at.line}` };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
