/**
 * A networked profile must not land on an engine runtime that silently has no network: runsc
 * registered with `--network=none` (the registration that works on new kernels for isolated
 * profiles) gives every container only `lo`, so the server would start and fail at its first
 * request. The engine's /info lists each runtime's runtimeArgs; it is asked only when the
 * profile wants a network, so the common isolated start costs no round trip.
 */
import type { EngineClient, EngineInfo } from '../engine/client.js';
import { EngineConnectionError } from '../engine/client.js';
import { engineCallFailed } from '../engine/errors.js';
import { SandboxError } from '../errors.js';
import type { NetworkMode } from '../profile/types.js';
import { NETWORK_MAPPING_SNIPPET } from './user-config.js';

export interface RuntimeNetworkQuestion {
  /** The engine runtime (after the user config's mapping). */
  runtime: string;
  /** The profile's runtime. */
  profileRuntime: string;
  network: NetworkMode;
  profile: string;
  /** The user config file, when there is one. */
  configFile?: string;
}

/** The refusal for a networked profile on a runtime registered without a network, if that is the case. */
export function runtimeNetworkProblem(info: EngineInfo, q: RuntimeNetworkQuestion): SandboxError | undefined {
  if (q.network === 'none') return undefined;
  const args = info.Runtimes?.[q.runtime]?.runtimeArgs ?? [];
  if (!args.some((arg) => arg === '--network=none' || (arg === '--network' && args[args.indexOf(arg) + 1] === 'none'))) return undefined;
  const mapped = q.runtime !== q.profileRuntime ? ` (mapped from ${q.profileRuntime})` : '';
  const where = q.configFile ?? '~/.config/mcp-sandbox/config.yaml';
  return new SandboxError(
    'RUNTIME_MISSING',
    `profile ${q.profile} asks for network ${q.network}, but engine runtime ${q.runtime}${mapped} is registered with --network=none: the server would see only lo`,
    { hint: `map networked profiles to a runtime registered with --network=host: put "${NETWORK_MAPPING_SNIPPET}" in ${where} (see \`mcp-sandbox doctor\`)` },
  );
}

/** Asks the engine (only for a networked profile) and throws the refusal. `unreachableOk`: a dry run without an engine skips the check. */
export async function checkRuntimeNetwork(engine: EngineClient, q: RuntimeNetworkQuestion & { unreachableOk?: boolean }): Promise<void> {
  if (q.network === 'none') return;
  let info: EngineInfo;
  try {
    info = await engine.info();
  } catch (error) {
    if (q.unreachableOk && error instanceof EngineConnectionError) return;
    throw engineCallFailed('asking the engine for its runtimes', error, engine.endpoint);
  }
  const problem = runtimeNetworkProblem(info, q);
  if (problem) throw problem;
}
