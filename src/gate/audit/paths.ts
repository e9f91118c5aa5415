/**
 * Where audit files live and how they are named. One chain per profile and UTC day, cut into
 * segments by size: `<profile>-<YYYY-MM-DD>.jsonl`, then `<stem>.1.jsonl`, `<stem>.2.jsonl`, …
 * The highest segment is the one being written; nothing is ever renamed, so concurrent writers
 * holding a segment's name never end up appending to a file that moved under them.
 */
import { homedir } from 'node:os';
import path from 'node:path';

/** The audit directory: MCP_SANDBOX_AUDIT_DIR, else $XDG_STATE_HOME/mcp-sandbox/audit, else ~/.local/state/…. */
export function auditDir(env: NodeJS.ProcessEnv = process.env, home: string = env.HOME || homedir()): string {
  if (env.MCP_SANDBOX_AUDIT_DIR) return path.resolve(env.MCP_SANDBOX_AUDIT_DIR);
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return path.join(state, 'mcp-sandbox', 'audit');
}

/** `<profile>-<YYYY-MM-DD>` for the UTC day of `date`. Names outside [a-z0-9-] are replaced, never trusted as path parts. */
export function dayStem(profile: string, date: Date): string {
  const safe = profile.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || '_';
  return `${safe}-${date.toISOString().slice(0, 10)}`;
}

export function segmentFile(stem: string, index: number): string {
  return index === 0 ? `${stem}.jsonl` : `${stem}.${index}.jsonl`;
}

export interface SegmentName {
  stem: string;
  profile: string;
  /** YYYY-MM-DD */
  day: string;
  index: number;
}

const SEGMENT = /^(.+)-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;

/** Parses a segment's base name; undefined for files not named by the writer. */
export function parseSegmentName(base: string): SegmentName | undefined {
  const m = SEGMENT.exec(base);
  if (!m) return undefined;
  const index = m[3] === undefined ? 0 : Number(m[3]);
  if (m[3] !== undefined && (index === 0 || m[3].startsWith('0'))) return undefined;
  return { stem: `${m[1]}-${m[2]}`, profile: m[1] as string, day: m[2] as string, index };
}

/** The lock file serialising appends to one stem's chain. */
export function lockFile(stem: string): string {
  return `${stem}.lock`;
}

/**
 * The day's head: `{"seq":N,"hash":"…"}` of the chain's last line, rewritten after each append.
 * A chain proves nothing about its own end; the head makes an edited last line or lines cut off
 * the end detectable too.
 */
export function headFile(stem: string): string {
  return `${stem}.head`;
}
