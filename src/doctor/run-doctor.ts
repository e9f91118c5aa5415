/**
 * Wires `runDoctor` to this machine: the resolved engine endpoint, the user config, the shipped
 * profiles (profiles/*.yaml next to the bundle or the source tree) and `runsc --version`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareSandbox } from '../compile/prepare.js';
import { connectEngine } from '../engine/connect.js';
import type { EngineClient } from '../engine/client.js';
import { loadUserConfig, mapRuntime } from '../run/user-config.js';
import { egressCheck } from './egress-check.js';
import { runDoctor, type Check, type ProfileNeed } from './checks.js';
import { runProbe } from './probe.js';
import { withPlatformCheck } from './platform.js';

/** The directory of shipped profiles: MCP_SANDBOX_SHIPPED_PROFILES, else the first ancestor's profiles/. */
function shippedProfilesDir(env: NodeJS.ProcessEnv = process.env, from = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  if (env.MCP_SANDBOX_SHIPPED_PROFILES) return path.resolve(env.MCP_SANDBOX_SHIPPED_PROFILES);
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'profiles');
    if (existsSync(path.join(candidate, 'base'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Loads each profile in `dir` (not its base/ layers) to what it needs from the engine. */
function loadProfileNeeds(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): { profiles: ProfileNeed[]; errors: Array<{ file: string; message: string }> } {
  const profiles: ProfileNeed[] = [];
  const errors: Array<{ file: string; message: string }> = [];
  if (!dir || !existsSync(dir)) return { profiles, errors };
  for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = path.join(dir, name);
    try {
      const { spec } = prepareSandbox(file, { env });
      profiles.push({ name: spec.name, runtime: spec.runtime, network: spec.network, image: spec.image });
    } catch (error) {
      errors.push({ file, message: (error as Error).message });
    }
  }
  return { profiles, errors };
}

/** `runsc --version` for a runtime path, locally; undefined when it cannot be run. */
export function runscVersion(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 5000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

export async function doctorHere(options: { env?: NodeJS.ProcessEnv; profilesDir?: string; engine?: EngineClient } = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const engine = options.engine ?? connectEngine(env);
  const config = await loadUserConfig(env);
  const { profiles, errors } = loadProfileNeeds(options.profilesDir ?? shippedProfilesDir(env), env);
  const remote = engine.endpoint.kind !== 'unix';
  try {
    const checks = await runDoctor({
      engine,
      config,
      profiles,
      profileErrors: errors,
      // The runtime binary lives on the engine's machine; only a local socket means it is here.
      runscVersion: (binary) => (remote ? Promise.resolve(undefined) : runscVersion(binary)),
      probe: (spec) => runProbe(engine, spec),
      env,
    });
    // Only with the egress image on the engine and a profile that uses an allowlist.
    if (profiles.some((p) => p.network === 'allow')) {
      const egress = await egressCheck(engine, mapRuntime(config, 'runsc', 'allow'));
      if (egress) checks.push(egress);
    }
    return await withPlatformCheck(checks, engine, env);
  } finally {
    if (!options.engine) engine.close();
  }
}
