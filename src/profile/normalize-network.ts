/**
 * The network stage of normalize: `network: { allow: [...] }` becomes mode `allow` with its
 * entries parsed (src/egress/allow.ts). Variables expand as in mounts (src/profile/interpolate.ts);
 * each problem is reported at its entry's position.
 */
import { parseAllow } from '../egress/allow.js';
import { interpolateAt } from './host-paths.js';
import type { Fail, NormalizeContext } from './normalize.js';
import type { EgressAllow, NetworkMode, Profile } from './types.js';

export interface NormalizedNetwork {
  network: NetworkMode;
  egress?: EgressAllow;
}

/** The network mode and, for an allowlist, its parsed entries; `fallback` when unset. */
export function normalizeNetwork(network: Profile['network'], fallback: NetworkMode, ctx: NormalizeContext, fail: Fail): NormalizedNetwork {
  if (network === undefined) return { network: fallback };
  if (typeof network === 'string') return { network };
  const allow = network.allow.map((raw, i) => interpolateAt(raw, `/network/allow/${i}`, ctx, fail));
  const parsed = parseAllow(allow);
  const problem = parsed.problems[0];
  if (problem) {
    fail(`/network/allow/${problem.index ?? 0}`, `network.allow: ${problem.message}`, 'see docs/egress.md for the forms an entry takes');
  }
  return { network: 'allow', egress: { allow, entries: parsed.entries } };
}

