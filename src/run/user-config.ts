/**
 * The user's launcher settings, ~/.config/mcp-sandbox/config.yaml (MCP_SANDBOX_CONFIG overrides
 * the path): which engine runtime each profile runtime maps to, and the stop grace. Not part of
 * any profile: it describes this machine's engine. One reader for every command; it loads the
 * yaml parser only when the file exists, so `run`'s common start (no config file) never does.
 *
 *   runtimes:            # profile runtime -> engine runtime, per network mode (or one name for all)
 *     runsc: { none: runsc, bridge: runsc-net, host: runsc-net }
 *   stopGrace: 2         # seconds between closing the server's stdin and stopping it
 *   egress:              # the egress proxy's upstream side (docs/egress.md)
 *     hosts: { db.internal: 10.1.2.3 }   # resolved so by the proxy, exempt from its private-range refusal
 *     network: bridge                    # the engine network the proxy reaches upstreams on
 *     spareIdle: 600                     # seconds a spare set lives unclaimed; 0: no spares
 *
 * The mapping is explicit on purpose: on kernels >= 6.11 with runsc older than 20240807 a
 * networked runsc profile needs a runtime registered with --network=host, and guessing that
 * from what the engine has registered would silently change a profile's isolation.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';
import { parseAllow } from '../egress/allow.js';
import type { NetworkMode } from '../profile/types.js';

export interface UserConfig {
  file?: string;
  runtimes: Record<string, string | Partial<Record<NetworkMode, string>>>;
  /** Seconds. */
  stopGrace: number;
  /** The egress proxy's upstream side (docs/egress.md); absent: Docker's bridge and public DNS. */
  egress?: EgressUserConfig;
}

/** `egress:` in the user config: names the proxy resolves so (private DNS, test networks), and its upstream network. */
export interface EgressUserConfig {
  hosts: Map<string, string>;
  network?: string;
  /** Seconds a spare egress set lives unclaimed (docs/egress.md, "Spare sets"); 0: none are made. */
  spareIdle?: number;
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
          if (mode !== 'none' && mode !== 'bridge' && mode !== 'host' && mode !== 'allow') return bad(`runtimes.${name}.${mode}: network mode must be none, bridge, host or allow`);
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
  const egress = record.egress === undefined ? undefined : egressConfigOf(record.egress, bad);
  return { file, runtimes, stopGrace, ...(egress ? { egress } : {}) };
}

/** `egress: { hosts: { "db.internal": 10.1.2.3 }, network: bridge }`, checked by the egress parser. */
function egressConfigOf(value: unknown, bad: (what: string) => never): EgressUserConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('egress must be a mapping (hosts, network)');
  const { hosts = {}, network, spareIdle, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) return bad(`egress.${unknownKey} is not a setting (hosts, network, spareIdle)`);
  if (spareIdle !== undefined && (typeof spareIdle !== 'number' || !Number.isInteger(spareIdle) || spareIdle < 0 || spareIdle > 86_400)) return bad('egress.spareIdle must be a whole number of seconds between 0 and 86400');
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) return bad('egress.hosts must be a mapping of name to IPv4 address');
  if (network !== undefined && (typeof network !== 'string' || network === '')) return bad('egress.network must be the name of an engine network');
  const parsed = parseAllow([], Object.fromEntries(Object.entries(hosts as Record<string, unknown>).map(([k, v]) => [k, String(v)])));
  const problem = parsed.problems[0];
  if (problem) return bad(problem.message);
  return { hosts: parsed.hosts, ...(network === undefined ? {} : { network: network as string }), ...(spareIdle === undefined ? {} : { spareIdle: spareIdle as number }) };
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

/**
 * The engine runtime for a profile runtime and network mode. An allowlisted server joins the
 * egress holder's network namespace and needs a network stack as a bridged one does, so
 * without an `allow` entry it takes the `bridge` mapping.
 */
export function mapRuntime(config: UserConfig, runtime: string, network: NetworkMode): string {
  const entry = config.runtimes[runtime];
  if (entry === undefined) return runtime;
  if (typeof entry === 'string') return entry;
  return entry[network] ?? (network === 'allow' ? entry.bridge : undefined) ?? runtime;
}
