/**
 * allow/deny globs for names and URIs (picomatch; `*` stops at `/`, `**` crosses it).
 * deny wins; no allow list means everything that is not denied.
 */
import picomatch from 'picomatch';
import type { NamePolicy } from './types.js';

export type PolicyVerdict = { allowed: true } | { allowed: false; rule: string };

export class NameMatcher {
  private readonly allow: Array<[string, (value: string) => boolean]> | undefined;
  private readonly deny: Array<[string, (value: string) => boolean]>;

  /** `key` is the profile key for messages: tools, resources or prompts. */
  constructor(private readonly key: string, policy: NamePolicy) {
    const compile = (glob: string): [string, (value: string) => boolean] => [glob, picomatch(glob, { dot: true })];
    this.allow = policy.allow?.map(compile);
    this.deny = policy.deny.map(compile);
  }

  get filters(): boolean {
    return this.allow !== undefined || this.deny.length > 0;
  }

  check(value: string): PolicyVerdict {
    const denied = this.deny.find(([, match]) => match(value));
    if (denied) return { allowed: false, rule: `${this.key}.deny "${denied[0]}"` };
    if (this.allow && !this.allow.some(([, match]) => match(value))) return { allowed: false, rule: `${this.key}.allow (no glob matches)` };
    return { allowed: true };
  }
}
