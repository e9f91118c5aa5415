/** The verified-token cache: never past the token's exp, never longer than its max age, bounded. */
import { TokenCache } from '../../../../src/serve/auth/token-cache.js';
import type { Principal } from '../../../../src/serve/auth/types.js';

const alice: Principal = { subject: 'alice', scopes: new Set(['tools:call']) };
const NOW = 1_000_000;

describe('TokenCache', () => {
  it('answers until the token expires', () => {
    const cache = new TokenCache(60_000);
    cache.set('t1', alice, NOW + 1000, NOW);
    expect(cache.get('t1', NOW + 999)).toBe(alice);
    expect(cache.get('t1', NOW + 1000)).toBeUndefined();
    expect(cache.get('t2', NOW)).toBeUndefined();
  });

  it('keeps a long-lived token only for the max age, and an expired one not at all', () => {
    const cache = new TokenCache(60_000);
    cache.set('long', alice, NOW + 3_600_000, NOW);
    expect(cache.get('long', NOW + 59_999)).toBe(alice);
    expect(cache.get('long', NOW + 60_000)).toBeUndefined();
    cache.set('expired', alice, NOW - 1, NOW);
    expect(cache.get('expired', NOW - 2)).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = new TokenCache(60_000, 2);
    for (const token of ['a', 'b', 'c']) cache.set(token, alice, NOW + 1000, NOW);
    expect(cache.get('a', NOW)).toBeUndefined();
    expect(cache.get('b', NOW)).toBe(alice);
    expect(cache.get('c', NOW)).toBe(alice);
  });
});
