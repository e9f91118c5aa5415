/**
 * `user:` in one spelling. "00", "000:0" and the integer 0 are all root; the engine and the
 * kernel read them as uid 0, so every emitter and lint rule must see "0". Numeric parts lose
 * their leading zeros; names (`root`, `node`) stay as written.
 */

/** Largest uid/gid the kernel accepts (uid_t is 32 bits; 2^32-1 is the invalid id). */
const MAX_ID = 4294967294;

/** The canonical spelling, or an error message for an id out of range. */
export function canonicalUser(user: string | number): { user: string } | { error: string } {
  const parts = String(user).split(':');
  const canonical: string[] = [];
  for (const part of parts) {
    if (!/^[0-9]+$/.test(part)) {
      canonical.push(part);
      continue;
    }
    const id = Number(part);
    if (!Number.isSafeInteger(id) || id > MAX_ID) return { error: `${part} is not a valid ${canonical.length === 0 ? 'uid' : 'gid'} (at most ${MAX_ID})` };
    canonical.push(String(id));
  }
  return { user: canonical.join(':') };
}
