/**
 * `mcp-sandbox warm <profile…> [--pool N] [--stop]`: fills a profile's pool up to N idle members
 * made exactly as `run` would make its sandbox (same profile load and lint enforcement, same
 * create body, same secrets, same runtime mapping), or removes the idle members with --stop.
 * A reaper (./warm-reaper.ts) is started so the pool ends with its idle timeout.
 */
import { existsSync } from 'node:fs';
import type { EngineClient } from '../engine/client.js';
import { pullFailed } from '../engine/errors.js';
import { SandboxError } from '../errors.js';
import { LABELS } from '../labels.js';
import { cacheKey } from '../profile/cache-trust.js';
import { decidePool, poolOwnerOf } from '../sandboxes/pool.js';
import { poolOwner } from './warm-hash.js';
import { launchBody, prepareForRun } from './launch.js';
import { checkRuntimeNetwork } from './runtime-network.js';
import { resolveSecrets } from './secrets.js';
import { loadUserConfig, mapRuntime } from './user-config.js';
import { fillOrder, fillPool, listPool, warmHash } from './warm.js';
import { reaperLockFile, spawnReaper } from './warm-reaper.js';
import { stopRefillers } from './warm-refill.js';

export interface WarmOptions {
  /** Overrides the profile's warm.pool. */
  pool?: number;
  stop?: boolean;
  env: NodeJS.ProcessEnv;
  engine: EngineClient;
  /** One line per outcome, for the user (stdout: `warm` is not an MCP session). */
  say(line: string): void;
  debug(message: string): void;
  /** Start the reaper (tests of the fill alone pass false). */
  reaper?: boolean;
}

/** Warms (or stops) one profile; returns the number of idle members it now has. */
export async function warmProfile(profileArg: string, options: WarmOptions): Promise<number> {
  const { engine, env, say } = options;
  const spec = await prepareForRun(profileArg, { env, extraArgs: [], debug: options.debug });
  if (options.stop) {
    // First the refillers, so none tops the pool up again after the removal below.
    stopRefillers(engine.endpoint, spec.name);
    // Only this user's members (when there is a key): another user's pool on this engine is theirs.
    const key = cacheKey(env, false);
    const owner = key ? poolOwner(key) : undefined;
    const members = await listPool(engine, spec.name);
    const idle = members.filter((m) => /-pool-[0-9a-f]{12}$/.test((m.Names?.[0] ?? '').replace(/^\//, '')) && (owner === undefined || poolOwnerOf(m.Labels?.[LABELS.poolHash]) === owner));
    await Promise.all(idle.map((m) => engine.remove(m.Id, { force: true }).catch(() => undefined)));
    say(`${spec.name}: removed ${idle.length} idle pooled sandbox${idle.length === 1 ? '' : 'es'}`);
    return 0;
  }
  const config = await loadUserConfig(env);
  const runtime = mapRuntime(config, spec.runtime, spec.network);
  await checkRuntimeNetwork(engine, { runtime, profileRuntime: spec.runtime, network: spec.network, profile: spec.name, configFile: config.file });
  const secretValues = resolveSecrets(spec.secrets, { env });
  const body = launchBody(spec, runtime, secretValues);
  if (spec.pull === 'always' || (spec.pull === 'missing' && !(await engine.inspectImage(spec.image)))) {
    await engine.pullImage(spec.image).catch((error: unknown) => {
      throw pullFailed(spec.image, error, engine.endpoint);
    });
  }
  const hash = await warmHash({ engine, body, secretNames: spec.secrets, secretValues, env }, true);
  if (typeof hash !== 'string') throw new SandboxError('ENGINE_ERROR', `cannot warm ${spec.name}: ${hash.reason}`, { hint: 'run `mcp-sandbox run` once, or pull the image' });
  const members = await listPool(engine, spec.name);
  const decision = decidePool(members, hash);
  await Promise.all(decision.stale.map((m) => engine.remove(m.id, { force: true }).catch(() => undefined)));
  const want = options.pool ?? spec.warm.pool;
  const missing = Math.max(0, want - decision.candidates.length);
  const { created, errors } = await fillPool(engine, fillOrder(spec.name, body, hash, spec.warm.idleTimeout, missing));
  for (const error of errors) say(`${spec.name}: could not start a pooled sandbox: ${error}`);
  const idle = decision.candidates.length + created.length;
  say(`${spec.name}: ${idle} idle pooled sandbox${idle === 1 ? '' : 'es'} (${created.length} started, ${decision.stale.length} stale removed), idle timeout ${spec.warm.idleTimeout} s`);
  if (options.reaper !== false && idle > 0) await startReaper(engine, options.debug);
  if (errors.length > 0 && created.length === 0 && missing > 0) throw new SandboxError('ENGINE_ERROR', `no pooled sandbox could be started for ${spec.name}`, { cause: 'reported' });
  return idle;
}

/**
 * Starts the reaper and waits (at most 5 s) until its lock exists: `run` claims only while a
 * reaper runs, so a `run` right after `warm` would otherwise start cold on a busy machine.
 */
async function startReaper(engine: EngineClient, debug: (message: string) => void): Promise<void> {
  const lockFile = reaperLockFile(engine.endpoint);
  if (spawnReaper({ endpoint: engine.endpoint, fill: [], lockFile }, debug) === undefined) return;
  for (let waited = 0; waited < 5000 && !existsSync(lockFile); waited += 25) await new Promise((resolve) => setTimeout(resolve, 25));
}
