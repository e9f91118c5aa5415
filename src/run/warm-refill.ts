/**
 * Refilling a pool after claims, coalesced: one refiller per pool (engine, profile, hash) holds
 * a pid lock (./warm-lock.ts). A launcher whose claim emptied a slot wakes the live refiller
 * (SIGUSR2) instead of starting a process of its own; only when none runs does it start one
 * (a pool reaper with a refill order, ./warm-reaper.ts). The refiller waits until claims have
 * been quiet for a moment, then tops the pool up to the profile's `warm.pool`, counting what the
 * engine lists (idle and still-starting members of this hash), so ten claims at once cost one
 * process and the pool never holds more than its size plus what is being created.
 *
 * Why wait: creating and starting a runsc sandbox, and its server's start inside it, cost about
 * a second of CPU each. Ten launchers starting together (a client starting its servers) each
 * claim within a few hundred ms of one another; refills started at each first answer took the
 * CPU from the launchers still waiting for theirs (BENCHMARKS.md, warm start).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineClient } from '../engine/client.js';
import { describeEndpoint, type EngineEndpoint } from '../engine/endpoint.js';
import { LABELS } from '../labels.js';
import { poolState } from '../sandboxes/pool.js';
import { fillPool, type FillOrder } from './warm.js';
import { holderPid, releaseLock, takeLock } from './warm-lock.js';

export interface RefillOrder {
  /** pooledBody() of the claimed member's body; `count` is the pool size to restore. */
  fill: FillOrder;
  /** The hash the members carry (label mcp-sandbox.pool-hash). */
  hash: string;
  /** Seconds: each member's expiry is set when it is created, not when the order was given. */
  idleTimeout: number;
  lockFile: string;
}

/** The refiller's pid lock for one pool: `<prefix for the profile><hash digest>.pid`. */
export function refillLockFile(endpoint: EngineEndpoint, profile: string, hash: string): string {
  return `${refillLockPrefix(endpoint, profile)}${digest(hash).slice(0, 16)}.pid`;
}

function refillLockPrefix(endpoint: EngineEndpoint, profile: string): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(tmpdir(), `mcp-sandbox-${uid}-pool-refill-${digest(`${describeEndpoint(endpoint)}\n${profile}`).slice(0, 16)}-`);
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Ends this profile's refillers (`warm --stop`: nothing may refill the pool after it). Returns how many. */
export function stopRefillers(endpoint: EngineEndpoint, profile: string): number {
  const prefix = refillLockPrefix(endpoint, profile);
  let stopped = 0;
  let names: string[];
  try {
    names = readdirSync(path.dirname(prefix));
  } catch {
    return 0;
  }
  for (const name of names) {
    const file = path.join(path.dirname(prefix), name);
    if (!file.startsWith(prefix) || !name.endsWith('.pid')) continue;
    const pid = holderPid(file);
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGTERM');
      stopped += 1;
    } catch {
      // gone meanwhile
    }
  }
  return stopped;
}

export interface RefillOptions {
  now?: () => number;
  /** Sleeps up to `ms`; true when woken early (a claim). */
  sleep(ms: number): Promise<boolean>;
  /** Claims must have been quiet this long before a fill starts. */
  quietMs?: number;
  /** ...but a fill starts at most this long after the first claim it serves. */
  maxDelayMs?: number;
  /** Members created at once (the rest wait): leave CPU to launchers starting meanwhile. */
  concurrency?: number;
}

export const REFILL_QUIET_MS = 1000;
export const REFILL_MAX_DELAY_MS = 10_000;

/** Runs the refill of one pool if no other process does (else wakes it). Never throws. */
export async function refill(engine: EngineClient, order: RefillOrder, options: RefillOptions): Promise<void> {
  for (;;) {
    if (!takeLock(order.lockFile)) return;
    let full: boolean;
    try {
      full = await topUp(engine, order, options);
    } finally {
      releaseLock(order.lockFile);
    }
    // A claim between the last count and the release woke us and found us leaving: count once more.
    if (!full || (await missing(engine, order, options.now?.() ?? Date.now()).catch(() => 0)) <= 0) return;
  }
}

/** Fills until the pool is full (true) or the engine refused a member (false). */
async function topUp(engine: EngineClient, order: RefillOrder, options: RefillOptions): Promise<boolean> {
  const now = options.now ?? Date.now;
  for (;;) {
    await quiet(options, now);
    const count = await missing(engine, order, now()).catch(() => 0);
    if (count <= 0) return true;
    const fill = { ...order.fill, count, body: { ...order.fill.body, Labels: { ...order.fill.body.Labels, [LABELS.poolExpires]: String(Math.floor(now() / 1000 + order.idleTimeout)) } } };
    const { errors } = await fillPool(engine, fill, options.concurrency ?? 2).catch(() => ({ errors: ['fill failed'] }));
    // An engine that refuses (image gone, out of memory) is not retried in a loop: the next claim asks again.
    if (errors.length > 0) return false;
  }
}

/** Waits until no claim has woken us for quietMs (at most maxDelayMs in all). */
async function quiet(options: RefillOptions, now: () => number): Promise<void> {
  const quietMs = options.quietMs ?? REFILL_QUIET_MS;
  const deadline = now() + (options.maxDelayMs ?? REFILL_MAX_DELAY_MS);
  for (;;) {
    const left = deadline - now();
    if (left <= 0) return;
    if (!(await options.sleep(Math.min(quietMs, left)))) return;
  }
}

/** How many members this pool lacks: its size minus its idle and starting members of this hash. */
async function missing(engine: EngineClient, order: RefillOrder, now: number): Promise<number> {
  const members = await engine.listContainers({ all: true, labels: [`${LABELS.profile}=${order.fill.profile}`, `${LABELS.pool}=idle`, `${LABELS.poolHash}=${order.hash}`] });
  const present = members.filter((m) => m.Labels?.[LABELS.poolHash] === order.hash && ['idle', 'starting'].includes(poolState(m, now) ?? '')).length;
  return order.fill.count - present;
}
