/** What the shipped profiles need from the engine, grouped by (engine runtime, network) through the user config's mapping. */
import type { EngineInfo } from '../engine/client.js';
import { daemonJsonSnippet } from '../engine/errors.js';
import type { NetworkMode } from '../profile/types.js';
import { mapRuntime, userConfigPath } from '../run/user-config.js';
import type { Check, DoctorDeps, ProfileNeed } from './checks.js';

export interface Need {
  runtime: string;
  /** An allowlisted server needs what a bridged one does from its runtime: a network stack. */
  network: Exclude<NetworkMode, 'allow'>;
  profileRuntime: string;
  profiles: ProfileNeed[];
}

/** The needs whose runtime the engine has (`usable`), and a failed check for each it lacks. */
export function groupNeeds(deps: Pick<DoctorDeps, 'config' | 'profiles' | 'env'>, runtimes: NonNullable<EngineInfo['Runtimes']>): { usable: Need[]; checks: Check[]; configFile: string } {
  const needs = new Map<string, Need>();
  for (const profile of deps.profiles) {
    const runtime = mapRuntime(deps.config, profile.runtime, profile.network);
    const network = profile.network === 'allow' ? 'bridge' : profile.network;
    const key = `${runtime}\u0000${network}`;
    const need = needs.get(key) ?? { runtime, network, profileRuntime: profile.runtime, profiles: [] };
    need.profiles.push(profile);
    needs.set(key, need);
  }
  const configFile = deps.config.file ?? userConfigPath(deps.env);
  const usable: Need[] = [];
  const checks: Check[] = [];
  for (const need of needs.values()) {
    const list = need.profiles.map((p) => p.name).join(', ');
    if (!runtimes[need.runtime]) {
      checks.push({
        status: 'fail',
        id: 'runtime-missing',
        message: `runtime ${need.runtime} (network ${need.network}; profiles ${list}) is not registered with the engine`,
        hint: `add ${daemonJsonSnippet(need.runtime)} to /etc/docker/daemon.json and send dockerd SIGHUP, or map it in ${configFile}`,
      });
    } else usable.push(need);
  }
  return { usable, checks, configFile };
}
