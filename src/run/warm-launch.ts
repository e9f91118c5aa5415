/**
 * Warm start as `run` sees it: one claim attempt before the cold path, the pool reaper as the
 * claimed session's guard, and one refill request after the session's first answer: it wakes the pool's refiller if one runs (a signal, no
 * process), else starts one (./warm-refill.ts). Kept apart from launch.ts so the launcher only
 * gains three calls.
 */
import { existsSync } from 'node:fs';
import type { CreateBody } from '../compile/engine-body.js';
import type { SandboxSpec } from '../compile/spec.js';
import type { EngineClient } from '../engine/client.js';
import { claimWarm, fillOrder, lookAtPool, type ClaimedSandbox, type PoolLook } from './warm.js';
import { wakeHolder } from './warm-lock.js';
import { reaperLockFile, spawnReaper } from './warm-reaper.js';
import { refillLockFile } from './warm-refill.js';
import { guardSocketPath, reaperGuard } from './warm-guard.js';
import type { Watchdog, WatchdogOrder } from './watchdog.js';

/**
 * A brokered launch (./warm-broker.ts) that found nothing to claim, or anything it does not
 * carry: the shim then starts the node launcher, which does the whole start itself.
 */
export class ColdStart extends Error {
  constructor(reason: string) {
    super(`cold start: ${reason}`);
    this.name = 'ColdStart';
  }
}

export interface WarmLaunch {
  claimed?: ClaimedSandbox;
  /** Has the claimed member replaced (by the pool's refiller); a no-op after a cold start and when called again. */
  refill(): void;
  /** After a claim: the pool reaper guards the session, the watchdog only if it cannot (./warm-guard.ts). */
  guard(order: WatchdogOrder, fallback: Watchdog): Watchdog;
}

/**
 * The look at this profile's pool (./warm.ts lookAtPool), or undefined when there is none to
 * look at. A pool lives only while its reaper runs (warm-reaper.ts): without the reaper's lock
 * file there is nothing to claim, and the cold start asks the engine nothing extra. The broker
 * is that reaper: `brokered` always looks.
 */
export function poolLookFor(engine: EngineClient, spec: SandboxSpec, brokered: boolean): PoolLook | undefined {
  if (!brokered && !existsSync(reaperLockFile(engine.endpoint))) return undefined;
  return lookAtPool(engine, spec.name, spec.image);
}

/** Tries to claim a pool member for this launch (`look`: from poolLookFor); any failure means a cold start, never an error. */
export async function warmLaunch(input: { engine: EngineClient; spec: SandboxSpec; body: CreateBody; secretValues: Record<string, string>; env: NodeJS.ProcessEnv; refill: boolean; look: PoolLook | undefined; debug(message: string): void }): Promise<WarmLaunch> {
  const { engine, spec, debug, look } = input;
  let claimed: ClaimedSandbox | undefined;
  if (!look) debug('no warm pool (no pool reaper running): cold start');
  else try {
    claimed = await claimWarm({ engine, body: input.body, secretNames: spec.secrets, secretValues: input.secretValues, env: input.env, profile: spec.name, look, debug });
  } catch (error) {
    debug(`warm pool not usable (${(error as Error).message}): cold start`);
  }
  let refilled = false;
  return {
    ...(claimed ? { claimed } : {}),
    refill() {
      if (!claimed || refilled || !input.refill || spec.warm.pool <= 0) return;
      refilled = true;
      const lockFile = refillLockFile(engine.endpoint, spec.name, claimed.hash);
      if (wakeHolder(lockFile)) return debug('pool refiller woken to replace the claimed sandbox');
      const fill = fillOrder(spec.name, input.body, claimed.hash, spec.warm.idleTimeout, spec.warm.pool);
      spawnReaper({ endpoint: engine.endpoint, fill: [], refill: { fill, hash: claimed.hash, idleTimeout: spec.warm.idleTimeout, lockFile }, lockFile: reaperLockFile(engine.endpoint) }, debug);
    },
    guard: (order, fallback) => (claimed ? reaperGuard(guardSocketPath(reaperLockFile(engine.endpoint)), order, fallback, debug) : fallback),
  };
}
