/**
 * The user's launcher settings, ~/.config/mcp-sandbox/config.yaml (MCP_SANDBOX_CONFIG overrides
 * the path): which engine runtime each profile runtime maps to, and the stop grace. Not part of
 * any profile: it describes this machine's engine. One reader for every command; it loads the
 * yaml parser only when the file exists, so `run`'s common start (no config file) never does.
 *
 *   runtimes:            # profile runtime -> engine runtime, per network mode (or one name for all)
 *     runsc: { none: runsc, bridge: runsc-net, host: runsc-net }
 *   stopGrace: 2         # seconds between closing the server's stdin and stopping it
 *
 * The mapping is explicit on purpose: on kernels >= 6.11 with runsc older than 20240807 a
 * networked runsc profile needs a runtime registered with --network=host, and guessing that
 * from what the engine has registered would silently change a profile's isolation.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import type { NetworkMode } from '../profile/types.js';

export interface UserConfig {
  file?: string;
  runtimes: Record<string, string | Partial<Record<NetworkMode, string>>>;
  /** Seconds. */
  stopGrace: number;
}

export const DEFAULT_STOP_GRACE = 2;

/** The mapping that sends networked runsc profiles to a runtime registered with --network=host. */
export const NETWORK_MAPPING_SNIPPET = 'runtimes: { runsc: { none: runsc, bridge: runsc-net, host: runsc-net } }';

export function userConfigPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  return env.MCP_SANDBOX_CONFIG || path.join(home, '.config', 'mcp-sandbox', 'config.yaml');
}

/** The config file's text, or undefined when there is none (a missing file is an empty config). */
export function readUserConfigText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError('INPUT_UNREADABLE', `cannot read user config ${file}: ${(error as Error).message}`);
  }
}

/** Checks the config's text, parsed by `parse` (the yaml library's). */
export function userConfigFromText(file: string, text: string, parse: (text: string) => unknown): UserConfig {
  const bad = (what: string): never => {
    throw new SandboxError('USER_CONFIG_INVALID', `user config ${file}: ${what}`, {
      hint: `fix or remove that file; expected e.g. "${NETWORK_MAPPING_SNIPPET}" and "stopGrace: 2"`,
    });
  };
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    return bad(`not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('the top level must be a mapping');
  const record = data as Record<string, unknown>;
  const runtimes: UserConfig['runtimes'] = {};
  if (record.runtimes !== undefined) {
    if (typeof record.runtimes !== 'object' || record.runtimes === null || Array.isArray(record.runtimes)) return bad('runtimes must be a mapping');
    for (const [name, value] of Object.entries(record.runtimes as Record<string, unknown>)) {
      if (typeof value === 'string') runtimes[name] = value;
      else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const modes: Partial<Record<NetworkMode, string>> = {};
        for (const [mode, target] of Object.entries(value as Record<string, unknown>)) {
          if (mode !== 'none' && mode !== 'bridge' && mode !== 'host') return bad(`runtimes.${name}.${mode}: network mode must be none, bridge or host`);
          if (typeof target !== 'string' || !target) return bad(`runtimes.${name}.${mode} must be a runtime name`);
          modes[mode] = target;
        }
        runtimes[name] = modes;
      } else return bad(`runtimes.${name} must be a runtime name or a mapping of network mode to runtime name`);
    }
  }
  let stopGrace = DEFAULT_STOP_GRACE;
  if (record.stopGrace !== undefined) {
    if (typeof record.stopGrace !== 'number' || !(record.stopGrace >= 0) || record.stopGrace > 300) return bad('stopGrace must be a number of seconds between 0 and 300');
    stopGrace = record.stopGrace;
  }
  return { file, runtimes, stopGrace };
}

/** Loads the user config; a missing file is an empty config. The yaml library is imported only when the file exists. */
export async function loadUserConfig(env: NodeJS.ProcessEnv = process.env, home = homedir()): Promise<UserConfig> {
  const file = userConfigPath(env, home);
  const text = readUserConfigText(file);
  if (text === undefined) return { runtimes: {}, stopGrace: DEFAULT_STOP_GRACE };
  // In the bundle a dynamic import of this CommonJS package yields only `default`; under node, both.
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  return userConfigFromText(file, text, yaml.parse ?? (yaml.default as typeof import('yaml')).parse);
}

/** The engine runtime for a profile runtime and network mode. */
export function mapRuntime(config: UserConfig, runtime: string, network: NetworkMode): string {
  const entry = config.runtimes[runtime];
  if (entry === undefined) return runtime;
  if (typeof entry === 'string') return entry;
  return entry[network] ?? runtime;
}
