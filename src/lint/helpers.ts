/**
 * Shared pieces of rule logic (paths, secrets, image references). Kept out of rules/ so that
 * directory holds exactly one file per rule.
 */
import { toPointer } from '../profile/pointer.js';
import { expandAllowedPaths, expandSensitivePaths, isWithin } from './sensitive-paths.js';
import type { Finding, RuleContext, Severity } from './types.js';

interface Candidate {
  path: string;
  label: string;
  subtree: boolean;
  severity: Severity;
}

const CANDIDATES = new WeakMap<RuleContext, Candidate[]>();

/** The list for a context, `~` expanded, client configs added, and each path also as it resolves. */
function candidates(ctx: RuleContext): Candidate[] {
  const known = CANDIDATES.get(ctx);
  if (known) return known;
  const list: Candidate[] = expandSensitivePaths(ctx.home).map((e) => ({ path: e.path, label: e.label, subtree: e.scope === 'subtree', severity: e.severity }));
  for (const file of ctx.clientConfigPaths) list.push({ path: file, label: `an AI client's own config (${file})`, subtree: true, severity: 'error' });
  // A sensitive path reached through a link of the host's own (macOS /etc -> /private/etc) is just as sensitive.
  const resolved = list.map((c) => ({ ...c, path: ctx.realpath(c.path) })).filter((c, i) => c.path !== list[i]?.path);
  const fold = ctx.caseInsensitive ? (p: string): string => p.toLowerCase() : (p: string): string => p;
  const all = [...list, ...resolved].map((c) => ({ ...c, path: fold(c.path) }));
  CANDIDATES.set(ctx, all);
  return all;
}

/** Engine sockets: whoever can reach one controls the host. */
function isEngineSocket(source: string): boolean {
  return /(^|\/)(docker|containerd|podman|crio|dockershim|buildkitd)\.sock$/i.test(source);
}

/** Why a host path is sensitive, and how much. */
export interface SensitiveMatch {
  reason: string;
  severity: Severity;
}

function matchIn(source: string, list: readonly Candidate[], allowed: readonly string[]): SensitiveMatch | undefined {
  const hit = (reason: string, entry: Candidate): SensitiveMatch => ({ reason, severity: entry.severity });
  if (isEngineSocket(source)) return { reason: 'an engine socket: access to it is root on the host', severity: 'error' };
  for (const entry of list) if (source === entry.path) return hit(`it is ${entry.label}`, entry);
  if (allowed.some((dir) => isWithin(source, dir))) return undefined;
  for (const entry of list) if (entry.subtree && isWithin(source, entry.path)) return hit(`it lies inside ${entry.label}`, entry);
  for (const entry of list) if (entry.path !== '/' && isWithin(entry.path, source)) return hit(`it contains ${entry.label}`, entry);
  return undefined;
}

/**
 * Why a bind source is sensitive (with the severity its entry in sensitive-paths.ts gives), or
 * undefined. The source counts as written and as it resolves (a link to the engine socket is
 * the engine socket); a parent of a sensitive path exposes it too (mounting /home exposes
 * ~/.ssh); on case-insensitive filesystems case is folded.
 */
export function sensitiveMatch(source: string, ctx: RuleContext): SensitiveMatch | undefined {
  const list = candidates(ctx);
  const fold = (p: string): string => (ctx.caseInsensitive ? p.toLowerCase() : p);
  const allowed = expandAllowedPaths(ctx.home).map(fold);
  const direct = matchIn(fold(source), list, allowed);
  if (direct) return direct;
  const real = ctx.realpath(source);
  if (real === source) return undefined;
  const viaLink = matchIn(fold(real), list, allowed);
  return viaLink ? { ...viaLink, reason: `it resolves to ${real}: ${viaLink.reason.replace(/^it /, '')}` } : undefined;
}

/** The reason alone, for messages. */
export function sensitiveReason(source: string, ctx: RuleContext): string | undefined {
  return sensitiveMatch(source, ctx)?.reason;
}

/** Shows enough of a secret to find it, never the whole value. */
export function redact(value: string): string {
  const clean = value.replace(/\s+/g, ' ');
  return clean.length <= 8 ? '…' : `${clean.slice(0, 4)}…(${clean.length} chars)`;
}

/** Values that are references resolved elsewhere, not literals (VS Code inputs, env expansion). */
export function isReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim()) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value.trim());
}

const SECRET_PATTERNS: Array<{ kind: string; pattern: RegExp }> = [
  { kind: 'private key block', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { kind: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b/ },
  { kind: 'Anthropic API key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { kind: 'OpenAI-style API key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/ },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b/ },
  { kind: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'Slack webhook URL', pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9/]+/ },
  { kind: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { kind: 'Stripe secret key', pattern: /\b[rs]k_live_[A-Za-z0-9]{16,}/ },
  { kind: 'GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { kind: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { kind: 'JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
  { kind: 'URL with an embedded password', pattern: /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
];

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** The kind of secret a literal looks like, or undefined. */
export function secretKind(name: string, value: string): string | undefined {
  if (isReference(value)) return undefined;
  for (const { kind, pattern } of SECRET_PATTERNS) if (pattern.test(value)) return kind;
  if (/AWS_SECRET/i.test(name) && /^[A-Za-z0-9/+]{40}$/.test(value)) return 'AWS secret access key';
  // Random-looking tokens: long, no separators a path, sentence or URL would have, mixed
  // character classes and near-uniform characters.
  if (/^[A-Za-z0-9+/=_-]{24,}$/.test(value)) {
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(value)).length;
    if (classes >= 2 && entropy(value) >= 4.0) return 'high-entropy string';
  }
  if (/^[a-f0-9]{32,}$/i.test(value) && entropy(value) >= 3.3) return 'high-entropy hex string';
  return undefined;
}

/** Names that conventionally hold credentials. `_FILE`/`_PATH` names point at one instead. */
export function isSecretName(name: string): boolean {
  if (/(_FILE|_PATH|_DIR|_URL_FILE)$/i.test(name)) return false;
  return /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i.test(name);
}

/** One finding at `/env/<name>` for each variable `messageFor` has something to say about. */
export function envFindings(env: Record<string, string>, messageFor: (name: string, value: string) => string | undefined): Finding[] {
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(env)) {
    const message = messageFor(name, value);
    if (message) findings.push({ pointer: toPointer(['env', name]), message });
  }
  return findings;
}

/** Image references have one parser (src/compile/image-ref.ts); the registry host stays in `name`. */
export { parseImageRef, type ImageRef } from '../compile/image-ref.js';
