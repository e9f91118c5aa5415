/**
 * Reading the audit log for `mcp-sandbox audit`: which files, which records, and following new
 * ones as they are appended. Integrity is `audit verify`'s job; here a line that is not JSON is
 * skipped.
 */
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SandboxError } from '../../errors.js';
import { parseSegmentName } from './paths.js';

export interface AuditQuery {
  /** A profile's `name`; all profiles when absent. */
  profile?: string;
  since?: Date;
  /** A session id or its prefix. */
  session?: string;
}

export interface AuditLine {
  profile: string;
  /** The line as written. */
  text: string;
  record: Record<string, unknown>;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--since`: a duration back from now (90s, 15m, 1h, 7d, 2w) or a date/time (2026-12-01, 2026-12-01T10:00Z). */
export function parseSince(text: string, now: Date = new Date()): Date {
  const duration = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNITS[duration[2] as string] as number));
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(date)) {
    throw new SandboxError('USAGE', `--since must be a duration such as 90s, 15m, 1h, 7d or a date such as 2026-12-01, got "${text}"`);
  }
  return new Date(date);
}

/** The segment files matching the query's profile and day, in chain order per day. */
export function listAuditFiles(dir: string, query: AuditQuery = {}): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const sinceDay = query.since?.toISOString().slice(0, 10);
  return names
    .map((name) => ({ name, parsed: parseSegmentName(name) }))
    .filter(({ parsed }) => parsed !== undefined && (query.profile === undefined || parsed.profile === query.profile) && (sinceDay === undefined || parsed.day >= sinceDay))
    .sort((a, b) => (a.parsed!.day !== b.parsed!.day ? (a.parsed!.day < b.parsed!.day ? -1 : 1) : a.parsed!.profile !== b.parsed!.profile ? (a.parsed!.profile < b.parsed!.profile ? -1 : 1) : a.parsed!.index - b.parsed!.index))
    .map(({ name }) => path.join(dir, name));
}

/** Parses and filters the complete lines of one file's text. */
export function selectLines(profile: string, text: string, query: AuditQuery): AuditLine[] {
  const out: AuditLine[] = [];
  const since = query.since?.getTime();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (since !== undefined && !(Date.parse(String(record.ts)) >= since)) continue;
    if (query.session !== undefined && !String(record.session ?? '').startsWith(query.session)) continue;
    out.push({ profile, text: line, record });
  }
  return out;
}

const profileOf = (file: string): string => parseSegmentName(path.basename(file))?.profile ?? '';

/** Every matching record, oldest first (records of different profiles interleaved by time). */
export function readAuditLines(dir: string, query: AuditQuery = {}): AuditLine[] {
  const lines = listAuditFiles(dir, query).flatMap((file) => selectLines(profileOf(file), readFileSync(file, 'utf8'), query));
  return lines.map((line, i) => ({ line, i })).sort((a, b) => String(a.line.record.ts).localeCompare(String(b.line.record.ts)) || a.i - b.i).map(({ line }) => line);
}

/**
 * Calls `onLines` with records appended after this call (new files of the query included),
 * polling every `intervalMs` until `signal` aborts. Partial lines wait for their newline.
 */
export async function followAudit(dir: string, query: AuditQuery, onLines: (lines: AuditLine[]) => void, signal: AbortSignal, intervalMs = 250): Promise<void> {
  const offsets = new Map<string, number>();
  for (const file of listAuditFiles(dir, query)) offsets.set(file, (await fs.stat(file)).size);
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    for (const file of listAuditFiles(dir, query)) {
      const from = offsets.get(file) ?? 0;
      const data = await readFrom(file, from);
      const end = data.lastIndexOf(0x0a) + 1;
      if (end === 0) continue;
      offsets.set(file, from + end);
      const lines = selectLines(profileOf(file), data.subarray(0, end).toString('utf8'), query);
      if (lines.length > 0) onLines(lines);
    }
  }
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}
