/**
 * Tokens already verified, so a client's every request does not pay a signature check (about
 * 0.1-0.3 ms for ES256/RS256, a large part of serve's per-request budget). An entry lives until
 * the token's `exp`, at most `maxAgeMs`, so a key the issuer withdraws stops being honoured soon.
 * Keyed by the token's SHA-256, bounded in size (oldest entry out first).
 */
import { createHash } from 'node:crypto';
import type { Principal } from './types.js';

interface Entry {
  principal: Principal;
  until: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxAgeMs = 60_000,
    private readonly maxEntries = 1024,
  ) {}

  get(token: string, now = Date.now()): Principal | undefined {
    const key = digest(token);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.principal;
    this.entries.delete(key);
    return undefined;
  }

  /** `expiresAt`: the token's `exp` in ms. */
  set(token: string, principal: Principal, expiresAt: number, now = Date.now()): void {
    const until = Math.min(expiresAt, now + this.maxAgeMs);
    if (until <= now) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(digest(token), { principal, until });
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
