/**
 * The seccomp stage of normalize: `default`, `unconfined`, or a file that must really be a
 * seccomp profile. The file goes through the read stage (regular text file, size-bounded) and
 * must be a JSON object with a `defaultAction` of SCMP_ACT_*; anything else (a docker
 * config.json, a key) is refused without quoting it, so it never reaches the create body.
 */
import { unreadableReason } from '../errors.js';
import type { NormalizeContext, Fail } from './normalize.js';
import { readInputText } from './read.js';
import type { NormalizedSeccomp } from './types.js';

/** Normalizes `security.seccomp`; `file` is the path after host-path expansion. */
export function normalizeSeccomp(value: string, ctx: NormalizeContext, fail: Fail, hostPath: (raw: string) => string): NormalizedSeccomp {
  if (value === 'default') return { kind: 'default' };
  if (value === 'unconfined') return { kind: 'unconfined' };
  const pointer = '/security/seccomp';
  const file = hostPath(value);
  const hint = `looked for ${file}; use default, unconfined, or a path relative to the profile`;
  let text: string;
  try {
    text = ctx.readFile ? ctx.readFile(file) : readInputText(file).text;
  } catch (error) {
    return fail(pointer, `seccomp profile ${JSON.stringify(value)} ${unreadableReason(error)}`, hint);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON.parse's own message: it quotes the text, and its wording changes between Node versions.
    return fail(pointer, `seccomp profile ${JSON.stringify(value)} is not valid JSON`, `check ${file} with a JSON linter`);
  }
  if (!isSeccompProfile(data)) {
    return fail(pointer, `seccomp profile ${JSON.stringify(value)} is not a seccomp profile`, `expected a JSON object with "defaultAction": "SCMP_ACT_…" in ${file}`);
  }
  // Compacted byte for byte as the docker CLI does (Go's json.Compact), so both emitters send
  // the same SecurityOpt string; JSON.stringify(JSON.parse()) would rewrite numbers and escapes.
  return { kind: 'file', path: file, content: compactJson(text) };
}

function isSeccompProfile(data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const record = data as Record<string, unknown>;
  if (typeof record.defaultAction !== 'string' || !/^SCMP_ACT_[A-Z_]+$/.test(record.defaultAction)) return false;
  // Other keys are allowed: the engine's decoder ignores what it does not know (e.g. "version").
  return ['syscalls', 'architectures', 'archMap', 'flags'].every((key) => record[key] === undefined || Array.isArray(record[key]));
}

/** Drops insignificant whitespace from valid JSON text, keeping everything else as written. */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}
