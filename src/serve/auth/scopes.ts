/**
 * Scope → tool globs (serve.auth.scopes). Globs follow the gate's policy globs (picomatch,
 * dot files included; `*` stops at `/`, `**` crosses it). A call needs every scope whose globs
 * match its tool; a tool no glob matches is denied (deny by default).
 */
import picomatch from 'picomatch';
import { SandboxError } from '../../errors.js';

/** RFC 6749 §3.3 scope-token: it must fit into a `scope="…"` parameter unescaped. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface ScopeRule {
  scope: string;
  matches: (tool: string) => boolean;
}

export function compileScopes(scopes: ReadonlyMap<string, readonly string[]>): ScopeRule[] {
  if (scopes.size === 0) {
    throw new SandboxError('PROFILE_INVALID', 'serve.auth.scopes is empty: no tool could be called', { hint: 'map a scope to "*", e.g. "tools:call": ["*"]' });
  }
  const rules: ScopeRule[] = [];
  for (const [scope, globs] of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      throw new SandboxError('PROFILE_INVALID', `serve.auth.scopes: ${JSON.stringify(scope)} is not a valid OAuth scope name`, {
        hint: 'a scope is printable ASCII without spaces, `"` or `\\` (RFC 6749 §3.3)',
      });
    }
    if (globs.length === 0) throw new SandboxError('PROFILE_INVALID', `serve.auth.scopes.${scope}: list at least one tool glob`);
    rules.push({ scope, matches: picomatch([...globs], { dot: true }) });
  }
  return rules;
}

/** The scopes a call of `tool` needs, in configuration order; empty when no scope grants it. */
export function requiredScopes(rules: readonly ScopeRule[], tool: string): string[] {
  return rules.filter((rule) => rule.matches(tool)).map((rule) => rule.scope);
}
