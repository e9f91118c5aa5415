/**
 * The one daemon.json merger of the project: registers the gVisor runtimes in dockerd's config
 * with minimal text edits, so every byte of the file that is not ours stays as it was (foreign
 * keys, other runtimes, their order and layout). Pure: text in, text out; writing is in files.ts.
 *
 * dockerd reads daemon.json with Go's encoding/json: no comments, no trailing commas. A file that
 * does not parse is refused with its line and column, and never echoed.
 */
import type { Node } from 'jsonc-parser';
import { offsetToLineColumn, parseClientConfig } from '../clients/config-file.js';
import { applyEdit, detectStyle, findProperty, insertPropertyEdit, replaceValueEdit, rootNode } from '../clients/json-edit.js';
import { SandboxError } from '../errors.js';

/** A runtime as daemon.json holds it. Other keys of an existing entry are kept. */
export interface RuntimeEntry {
  path: string;
  runtimeArgs?: string[];
  [key: string]: unknown;
}

/** What setup wants registered: runtime name -> binary and the `--network=` value (undefined: none). */
export type WantedRuntimes = Record<string, { path: string; network: string | undefined }>;

export interface MergeResult {
  text: string;
  changed: boolean;
  /** Runtime names added or updated, in order. */
  touched: string[];
}

const NETWORK_ARG = /^--?network(=|$)/;

/**
 * `args` with its network argument set to `--network=<network>` (in place of the first one, or
 * appended), or removed when `network` is undefined. Every other argument keeps its position.
 */
export function withNetworkArg(args: readonly string[], network: string | undefined): string[] {
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!NETWORK_ARG.test(arg)) {
      out.push(arg);
      continue;
    }
    if (!arg.includes('=')) i += 1; // `--network VALUE`: the value goes with it
    if (!placed && network !== undefined) out.push(`--network=${network}`);
    placed = true;
  }
  if (!placed && network !== undefined) out.push(`--network=${network}`);
  return out;
}

/** The entry to register: the existing one with our path and network argument. */
export function wantedEntry(existing: unknown, want: { path: string; network: string | undefined }): RuntimeEntry {
  const base = existing && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
  const oldArgs = Array.isArray(base.runtimeArgs) ? base.runtimeArgs.filter((a): a is string => typeof a === 'string') : [];
  const args = withNetworkArg(oldArgs, want.network);
  const entry: RuntimeEntry = { ...base, path: want.path };
  if (args.length > 0 || Array.isArray(base.runtimeArgs)) entry.runtimeArgs = args;
  else delete entry.runtimeArgs;
  return entry;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function runtimesNode(text: string, file: string): Node | undefined {
  const value = findProperty(rootNode(text) as Node, 'runtimes')?.children?.[1];
  if (value && value.type !== 'object') {
    throw new SandboxError('CONFIG_CONFLICT', '"runtimes" is not an object', {
      location: { file, ...offsetToLineColumn(text, value.offset) },
      hint: 'fix the file by hand; mcp-sandbox never rewrites a daemon.json it cannot read',
    });
  }
  return value;
}

/** Merges `wanted` into daemon.json text (empty text = no file yet). Throws CONFIG_CONFLICT, located, on a file it cannot use. */
export function mergeRuntimes(file: string, original: string, wanted: WantedRuntimes): MergeResult {
  const data = parseClientConfig(file, original, false);
  const current = (data.runtimes ?? {}) as Record<string, unknown>;
  const style = detectStyle(original);
  let text = /^\s*$/.test(original) ? `{}${style.eol}` : original;
  const touched: string[] = [];
  for (const [name, want] of Object.entries(wanted)) {
    const existing = Object.prototype.hasOwnProperty.call(current, name) ? current[name] : undefined;
    const entry = wantedEntry(existing, want);
    if (existing !== undefined && sameJson(existing, entry)) continue;
    touched.push(name);
    const runtimes = runtimesNode(text, file);
    if (!runtimes) {
      text = applyEdit(text, insertPropertyEdit(text, rootNode(text) as Node, 'runtimes', { [name]: entry }, style));
      continue;
    }
    const property = findProperty(runtimes, name);
    const value = property?.children?.[1];
    text = applyEdit(text, value ? replaceValueEdit(text, value, entry, style) : insertPropertyEdit(text, runtimes, name, entry, style));
  }
  if (touched.length === 0) return { text: original, changed: false, touched };
  if (!text.endsWith(style.eol) && original === '') text += style.eol;
  return { text, changed: text !== original, touched };
}
