/**
 * What of a call's arguments an audit record may carry (audit.arguments):
 * none: nothing; keys: the argument names; redacted: the values, except that values under
 * sensitive keys (password, token, secret, api_key, authorization, ...) become a short hash,
 * declared secret values are masked and long strings are cut to a summary; full: the values
 * with declared secrets masked.
 * Declared secret values never appear, whatever the mode.
 */
import { createHash } from 'node:crypto';
import type { AuditArgumentsMode } from './types.js';
import { MIN_SECRET_LENGTH, secretForms } from './secrets.js';
import { HEAD_CHARS, LongString, NeedsWholeMessage, holdsLong } from './skeleton.js';

/** Key names whose values are credentials in practice (matched case-insensitively, - and _ alike). */
const SENSITIVE_KEY = /password|passwd|passphrase|token|secret|api[-_]?key|authorization|credential|private[-_]?key|cookie|^(auth|pass|pwd)$/i;

/** A stable, non-reversible stand-in: same value, same hash, so repeated use still shows. */
export function shortHash(value: unknown): string {
  return `sha256:${createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value) ?? '').digest('hex').slice(0, 12)}`;
}

interface Forms {
  list: Array<[string, string]>;
  /** The longest form's length (how far past a cut a value can reach). */
  longest: number;
}

const FORMS = new WeakMap<object, Forms>();

/** Every form of every declared value, computed once per secrets object (a session's). */
function formsOf(secrets: Readonly<Record<string, string>>): Forms {
  let forms = FORMS.get(secrets);
  if (forms) return forms;
  const list: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(secrets)) {
    // Short values are masked only where they are the whole string (substring masking would hit ordinary text).
    if (value.length < MIN_SECRET_LENGTH) list.push([name, value]);
    else for (const form of secretForms(value)) list.push([name, form]);
  }
  forms = { list, longest: list.reduce((max, [, form]) => Math.max(max, form.length), 0) };
  FORMS.set(secrets, forms);
  return forms;
}

/** In `redacted` mode a string keeps this many characters (the record is a summary, not a copy). */
export const REDACTED_STRING_CHARS = 200;

/**
 * A copy of a short string that does not point into the long one it was cut from: V8 keeps a
 * slice as a view of its whole parent, so a 200-character summary would hold a long argument
 * in memory for as long as the audit record or the pending call lives.
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * The arguments as the audit record carries them. Written as plain functions over one context
 * rather than closures made per call: it runs for every tools/call, mostly before V8 has
 * optimized it, where each closure and iterator is paid for (docs/gate.md).
 */
export function redact(args: unknown, mode: AuditArgumentsMode, secrets: Readonly<Record<string, string>>): unknown {
  if (mode === 'none' || args === undefined) return undefined;
  if (mode === 'keys') return typeof args === 'object' && args !== null && !Array.isArray(args) ? Object.keys(args) : [];
  return walk({ mode, forms: formsOf(secrets) }, args, false);
}

interface Context {
  mode: AuditArgumentsMode;
  forms: Forms;
}

function maskString(forms: Forms, text: string): string {
  let out = text;
  for (const [name, form] of forms.list) {
    if (form.length < MIN_SECRET_LENGTH) {
      if (out === form) out = `[masked:${name}]`;
    } else if (out.includes(form)) {
      out = out.split(form).join(`[masked:${name}]`);
    }
  }
  return out;
}

function summary(context: Context, text: string): string {
  if (context.mode !== 'redacted' || text.length <= REDACTED_STRING_CHARS) return context.forms.list.length === 0 ? text : maskString(context.forms, text);
  // Masked with enough after the cut that a value across it is masked whole, then cut.
  const cut = maskString(context.forms, text.slice(0, REDACTED_STRING_CHARS + context.forms.longest)).slice(0, REDACTED_STRING_CHARS);
  return detached(`${cut}…[${text.length} chars]`);
}

/** A long string read as a skeleton: its summary from its head; a hash or a full copy needs it whole. */
function longSummary(context: Context, node: LongString, sensitive: boolean): string {
  if (context.mode !== 'redacted' || sensitive || REDACTED_STRING_CHARS + context.forms.longest > HEAD_CHARS) throw new NeedsWholeMessage();
  const cut = maskString(context.forms, node.head.slice(0, REDACTED_STRING_CHARS + context.forms.longest)).slice(0, REDACTED_STRING_CHARS);
  return detached(`${cut}…[${node.length} chars]`);
}

function walk(context: Context, node: unknown, sensitive: boolean): unknown {
  if (node instanceof LongString) return longSummary(context, node, sensitive);
  if (sensitive && context.mode === 'redacted' && node !== null && node !== undefined) {
    if (holdsLong(node)) throw new NeedsWholeMessage();
    return shortHash(node);
  }
  if (typeof node === 'string') return summary(context, node);
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (const child of node) out.push(walk(context, child, false));
    return out;
  }
  if (typeof node === 'object' && node !== null) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(node)) out[context.forms.list.length === 0 ? key : maskString(context.forms, key)] = walk(context, (node as Record<string, unknown>)[key], SENSITIVE_KEY.test(key));
    return out;
  }
  return node;
}
