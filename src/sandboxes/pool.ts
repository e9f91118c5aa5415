/**
 * The warm pool's vocabulary, shared by `run` (claim), `warm`, the reaper and `ps`/`gc`: names
 * and labels only, no engine calls. A pooled sandbox is created as `mcp-sandbox-<profile>-pool-<hex>`
 * with `mcp-sandbox.pool=idle`; a claim renames it to `mcp-sandbox-<profile>-claimed-<hex>`.
 * Labels cannot change after create, so the name is what tells idle from claimed, and the
 * rename is the claim itself (src/engine/client.ts `rename`).
 */
import { randomBytes } from 'node:crypto';
import type { ContainerSummary } from '../engine/client.js';
import { LABELS } from '../labels.js';

const IDLE = /^(.*)-pool-([0-9a-f]{12})$/;
const CLAIMED = /-claimed-[0-9a-f]{12}$/;

export type PoolState = 'idle' | 'starting' | 'claimed' | 'stale';

/** Seconds a member may stay created-not-started (a fill in progress) before it counts as stale. */
export const STARTING_GRACE = 120;

/** A fill in progress: created, not started yet, and recent. */
function starting(container: ContainerSummary, now: number): boolean {
  return container.State === 'created' && now / 1000 - container.Created < STARTING_GRACE;
}

/** The owner part of a pool-hash label value (`<owner>.<digest>`, src/run/warm-hash.ts); '' when none. */
export function poolOwnerOf(hash: string | undefined): string {
  return hash?.includes('.') ? hash.slice(0, hash.indexOf('.')) : '';
}

/** A fresh pool member's name. */
export function poolName(profile: string): string {
  return `${profile.startsWith('mcp-sandbox-') ? profile : `mcp-sandbox-${profile}`}-pool-${randomBytes(6).toString('hex')}`;
}

/** The one name every claimer of this pool member renames it to; undefined for a name that is not idle. */
export function claimedName(name: string): string | undefined {
  const match = IDLE.exec(name.replace(/^\//, ''));
  return match ? `${match[1]}-claimed-${match[2]}` : undefined;
}

/** Why a pooled container may not be handed out, or undefined when it may. */
export function staleReason(container: ContainerSummary, hash: string | undefined, now: number): string | undefined {
  const labels = container.Labels ?? {};
  if (container.State !== 'running') return `it is ${container.State}`;
  const expires = Number(labels[LABELS.poolExpires]);
  if (!Number.isFinite(expires) || expires <= now / 1000) return 'its idle timeout passed';
  if (hash !== undefined && labels[LABELS.poolHash] !== hash) return 'it was made from another profile, image, secret or runtime';
  return undefined;
}

/** The pool state of a container of ours, undefined when it never was pooled. */
export function poolState(container: ContainerSummary, now: number = Date.now()): PoolState | undefined {
  if ((container.Labels ?? {})[LABELS.pool] === undefined) return undefined;
  const name = (container.Names?.[0] ?? '').replace(/^\//, '');
  if (CLAIMED.test(name)) return 'claimed';
  if (claimedName(name) === undefined) return 'claimed';
  if (starting(container, now)) return 'starting';
  return staleReason(container, undefined, now) === undefined ? 'idle' : 'stale';
}

export interface PoolDecision {
  /** Idle members that match, in the order to try them. */
  candidates: Array<{ id: string; name: string; claimAs: string }>;
  /** Idle members that must never be handed out, with why. */
  stale: Array<{ id: string; name: string; reason: string }>;
}

/**
 * Sorts a profile's pooled containers into claimable and stale. Members already claimed are
 * someone else's session and are left alone, and so are members of another user's pool (the
 * part of the hash before the dot differs: src/run/warm-hash.ts). Candidates start at a random offset so launchers
 * starting together try different members first instead of queueing on one.
 */
export function decidePool(containers: ContainerSummary[], hash: string, now: number = Date.now(), random: () => number = Math.random): PoolDecision {
  const candidates: PoolDecision['candidates'] = [];
  const stale: PoolDecision['stale'] = [];
  for (const container of containers) {
    if ((container.Labels ?? {})[LABELS.pool] !== 'idle') continue;
    const name = (container.Names?.[0] ?? '').replace(/^\//, '');
    const claimAs = claimedName(name);
    if (claimAs === undefined || starting(container, now) || poolOwnerOf(container.Labels?.[LABELS.poolHash]) !== poolOwnerOf(hash)) continue;
    const reason = staleReason(container, hash, now);
    if (reason === undefined) candidates.push({ id: container.Id, name, claimAs });
    else stale.push({ id: container.Id, name, reason });
  }
  const offset = candidates.length === 0 ? 0 : Math.floor(random() * candidates.length);
  return { candidates: [...candidates.slice(offset), ...candidates.slice(0, offset)], stale };
}
