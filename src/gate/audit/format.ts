/**
 * The `mcp-sandbox audit` table: one row per record, the same columns for every record type
 * (docs/audit.md lists the record fields). Aligned to the widest cell for a finished listing;
 * `--follow` rows use fixed widths because later rows are not known yet.
 */
import type { AuditLine } from './reader.js';

export const AUDIT_COLUMNS = ['TIME', 'PROFILE', 'SESSION', 'TYPE', 'WHAT', 'DECISION', 'MS', 'DETAIL'] as const;
const FOLLOW_WIDTHS = [23, 16, 8, 13, 28, 14, 6, 0];

export interface Paint {
  header(text: string): string;
}

const PLAIN: Paint = { header: (t) => t };

const isSecurity = (r: Record<string, unknown>): boolean => r.type === 'security' || r.type === 'event';
const SHOWN = new Set(['seq', 'prev', 'ts', 'session', 'type', 'event', 'kind', 'message', 'detail']);

const str = (value: unknown): string => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

function what(r: Record<string, unknown>): string {
  if (r.type === 'call') return r.tool !== undefined ? `${str(r.method)} ${str(r.tool)}` : str(r.method);
  if (isSecurity(r)) return str(r.event ?? r.kind);
  if (r.type === 'session-start') {
    const client = r.client as { name?: unknown; version?: unknown } | undefined;
    return client ? `client ${str(client.name)} ${str(client.version)}`.trim() : '';
  }
  return '';
}

function detail(r: Record<string, unknown>): string {
  if (r.type === 'call') {
    const parts = [r.isError === true ? 'error' : '', r.bytesIn !== undefined ? `in ${str(r.bytesIn)}` : '', r.bytesOut !== undefined ? `out ${str(r.bytesOut)}` : ''];
    return parts.filter(Boolean).join(' ');
  }
  if (isSecurity(r)) {
    if (r.message !== undefined || r.detail !== undefined) return str(r.message ?? r.detail);
    return Object.entries(r)
      .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
      .map(([key, value]) => `${key}=${str(value)}`)
      .join(' ');
  }
  if (r.type === 'session-start') return [r.container ? `container ${str(r.container).slice(0, 12)}` : '', r.launcherPid !== undefined ? `pid ${str(r.launcherPid)}` : ''].filter(Boolean).join(' ');
  if (r.type === 'session-end') return [r.exitCode !== undefined ? `exit ${str(r.exitCode)}` : '', str(r.reason)].filter(Boolean).join(' ');
  return '';
}

/** The cells of one record. */
export function auditRow(line: AuditLine): string[] {
  const r = line.record;
  const ts = str(r.ts);
  const decision = r.decision === undefined ? '' : r.rule === undefined ? str(r.decision) : `${str(r.decision)} ${str(r.rule)}`;
  const duration = typeof r.durationMs === 'number' ? r.durationMs.toFixed(r.durationMs < 10 ? 1 : 0) : '';
  return [ts.replace('T', ' ').replace(/Z$/, ''), line.profile, str(r.session).slice(0, 8), str(r.type), what(r), decision, duration, detail(r)];
}

function join(cells: string[], widths: readonly number[]): string {
  return cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
}

/** The whole listing, columns as wide as their widest cell. */
export function formatAuditTable(lines: readonly AuditLine[], paint: Paint = PLAIN): string {
  const rows = [[...AUDIT_COLUMNS], ...lines.map(auditRow)];
  const widths = AUDIT_COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  return rows.map((row, i) => (i === 0 ? paint.header(join(row, widths)) : join(row, widths))).join('\n');
}

/** Header and rows for `--follow`, at fixed widths. */
export function formatFollowHeader(paint: Paint = PLAIN): string {
  return paint.header(join([...AUDIT_COLUMNS], FOLLOW_WIDTHS));
}

export function formatFollowRow(line: AuditLine): string {
  return join(auditRow(line), FOLLOW_WIDTHS);
}
