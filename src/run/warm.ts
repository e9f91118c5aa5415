/**
 * Warm start, the engine side: filling a profile's pool and claiming a member of it for `run`.
 * Names, labels and the claim decision are in src/sandboxes/pool.ts; the hash in ./warm-hash.ts;
 * what removes a pool nobody claims in ./warm-reaper.ts.
 *
 * A claim is a rename to the one name every claimer of that member would use: the engine lets
 * exactly one of them succeed. The winner attaches (stream only, no logs: what the server wrote
 * before the claim is not replayed) and registers wait(next-exit) at once; once the wait is
 * registered (beside the attach) it checks the member is still running: an exit between the
 * list and the wait would otherwise never be reported.
 * (The member already runs, so unlike a cold start there is no start to register the wait before.)
 */
import type { Duplex } from 'node:stream';
import type { CreateBody } from '../compile/engine-body.js';
import type { EngineClient, WaitHandle } from '../engine/client.js';
import { LABELS } from '../labels.js';
import { cacheKey } from '../profile/cache-trust.js';
import { decidePool, poolName } from '../sandboxes/pool.js';
import { poolHash, pooledBody } from './warm-hash.js';

/** A pool member this launcher won: attached, its exit awaited. */
export interface ClaimedSandbox {
  id: string;
  /** The pool hash it matched: a refill makes its replacement from the same. */
  hash: string;
  name: string;
  socket: Duplex;
  waitHandle: WaitHandle;
}

export interface WarmIdentityInput {
  engine: EngineClient;
  /** The body `run` would create (launchBody), secret values included. */
  body: CreateBody;
  secretNames: readonly string[];
  secretValues: Readonly<Record<string, string>>;
  env: NodeJS.ProcessEnv;
}

/** The pool hash for this launch, or why there is none (no image yet, no per-user key). */
export async function warmHash(input: WarmIdentityInput, createKey: boolean, imageLookup?: Promise<{ Id: string } | undefined>): Promise<string | { reason: string }> {
  const key = cacheKey(input.env, createKey);
  if (!key) return { reason: 'no per-user key to sign the pool with' };
  const image = await (imageLookup ?? input.engine.inspectImage(input.body.Image));
  if (!image) return { reason: `image ${input.body.Image} is not present` };
  return poolHash({ body: input.body, secretNames: input.secretNames, secretValues: input.secretValues, imageId: image.Id, runtime: input.body.HostConfig.Runtime }, key);
}

/** This profile's idle pool members, as the engine lists them. */
export function listPool(engine: EngineClient, profile: string): ReturnType<EngineClient['listContainers']> {
  return engine.listContainers({ all: true, labels: [`${LABELS.profile}=${profile}`, `${LABELS.pool}=idle`] });
}

/** What a claim decides on, asked of the engine at once: the profile's idle members and its image. */
export interface PoolLook {
  members: ReturnType<EngineClient['listContainers']>;
  image: Promise<{ Id: string } | undefined>;
}

/**
 * Starts the look at `profile`'s pool. `run` starts it before the engine check and the gate's
 * opening, so its round trips overlap them, and a brokered start with no member answers cold
 * before opening the gate at all. A failed list rejects `members` when awaited, never unhandled.
 */
export function lookAtPool(engine: EngineClient, profile: string, image: string): PoolLook {
  const members = listPool(engine, profile);
  members.catch(() => undefined);
  return { members, image: engine.inspectImage(image).catch(() => undefined) };
}

/**
 * Claims a matching idle member for `run`, removing the stale ones it sees; undefined means
 * cold start (said with --verbose). Costs one list call when the pool is empty. `look`: one
 * started earlier (lookAtPool), for the same profile and image.
 */
export async function claimWarm(input: WarmIdentityInput & { profile: string; look?: PoolLook; debug(message: string): void }): Promise<ClaimedSandbox | undefined> {
  const { engine, debug } = input;
  // The image lookup runs beside the list: one round trip instead of two when the pool has members.
  const look = input.look ?? lookAtPool(engine, input.profile, input.body.Image);
  const members = await look.members;
  if (members.length === 0) return coldBecause(debug, 'no warm sandbox');
  const hash = await warmHash(input, false, look.image);
  if (typeof hash !== 'string') return coldBecause(debug, hash.reason);
  const decision = decidePool(members, hash);
  for (const stale of decision.stale) {
    debug(`removing pooled ${stale.name}: ${stale.reason}`);
    void engine.remove(stale.id, { force: true }).catch(() => undefined);
  }
  for (const candidate of decision.candidates) {
    try {
      await engine.rename(candidate.id, candidate.claimAs);
    } catch (error) {
      debug(`pooled ${candidate.name} taken by another launcher (${(error as Error).message})`);
      continue;
    }
    const claimed = await attachClaimed(engine, candidate.id, candidate.claimAs, debug);
    if (claimed) return { ...claimed, hash };
  }
  return coldBecause(debug, 'no matching warm sandbox');
}

function coldBecause(debug: (message: string) => void, reason: string): undefined {
  debug(`${reason}: cold start`);
  return undefined;
}

/** Attach, wait(next-exit), then make sure it still runs; a member that died is removed. */
async function attachClaimed(engine: EngineClient, id: string, name: string, debug: (message: string) => void): Promise<Omit<ClaimedSandbox, 'hash'> | undefined> {
  let socket: Duplex | undefined;
  let waitHandle: WaitHandle | undefined;
  try {
    // The state check needs only the wait registered, not the attach: it goes out as soon as the
    // wait is, beside the attach (one round trip fewer on the claim path when the attach is slower).
    const attaching = engine.attach(id);
    const waited = engine.wait(id, 'next-exit');
    const [attached, waiting, inspected] = await Promise.allSettled([attaching, waited, waited.then(() => engine.inspectContainer(id))]);
    if (attached.status === 'fulfilled') socket = attached.value;
    if (waiting.status === 'fulfilled') waitHandle = waiting.value;
    if (attached.status === 'rejected') throw attached.reason;
    if (waiting.status === 'rejected') throw waiting.reason;
    if (inspected.status === 'rejected') throw inspected.reason;
    const state = inspected.value;
    if (state.State.Running && socket && waitHandle) {
      debug(`claimed warm sandbox ${name} (${id.slice(0, 12)})`);
      return { id, name, socket, waitHandle };
    }
    debug(`claimed ${name} but it is ${state.State.Status}`);
  } catch (error) {
    debug(`claimed ${name} but could not attach: ${(error as Error).message}`);
  }
  waitHandle?.cancel();
  socket?.destroy();
  await engine.remove(id, { force: true }).catch(() => undefined);
  return undefined;
}

export interface FillOrder {
  profile: string;
  /** pooledBody(): the launcher's body with the pool labels. */
  body: CreateBody;
  count: number;
}

/** The fill order for `count` members of this body, expiring `idleTimeout` seconds from now. */
export function fillOrder(profile: string, body: CreateBody, hash: string, idleTimeout: number, count: number, now: number = Date.now()): FillOrder {
  return { profile, body: pooledBody(body, hash, now / 1000 + idleTimeout), count };
}

/**
 * Creates and starts the members of an order, at most `concurrency` at a time (no new one after
 * an error: an engine that refuses one refuses the next), nothing attached; returns their names
 * and any errors.
 */
export async function fillPool(engine: EngineClient, order: FillOrder, concurrency: number = order.count): Promise<{ created: string[]; errors: string[] }> {
  const created: string[] = [];
  const errors: string[] = [];
  let left = order.count;
  const one = async (): Promise<void> => {
    const name = poolName(order.profile);
    let id: string | undefined;
    try {
      id = (await engine.createContainer(order.body, name)).id;
      await engine.start(id);
      created.push(name);
    } catch (error) {
      errors.push((error as Error).message);
      if (id !== undefined) await engine.remove(id, { force: true }).catch(() => undefined);
    }
  };
  const worker = async (): Promise<void> => {
    while (left > 0 && errors.length === 0) {
      left -= 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, order.count)) }, worker));
  return { created, errors };
}
