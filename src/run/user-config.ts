/**
 * The user's launcher settings, ~/.config/mcp-sandbox/config.yaml (MCP_SANDBOX_CONFIG overrides
 * the path). Not part of any profile: it describes this machine's engine.
 *
 *   runtimes:            # profile runtime -> engine runtime, per network mode (or one name for all)
 *     runsc: { none: runsc, bridge: runsc-net, host: runsc-net }
 *   stopGrace: 2         # seconds between closing the server's stdin and stopping it
 *
 * The mapping is explicit on purpose: on kernels >= 6.11 with runsc older than 20240807 a
 * networked runsc profile needs a runtime registered with --network=host, and guessing that
 * from what the engine has registered would silently change a profile's isolation.
 */
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { DEFAULT_STOP_GRACE, readUserConfigText, userConfigFromText, userConfigPath, type UserConfig } from './user-config-core.js';

export * from './user-config-core.js';

/** Loads the user config; a missing file is an empty config. */
export function loadUserConfig(env: NodeJS.ProcessEnv = process.env, home = homedir()): UserConfig {
  const file = userConfigPath(env, home);
  const text = readUserConfigText(file);
  if (text === undefined) return { runtimes: {}, stopGrace: DEFAULT_STOP_GRACE };
  return userConfigFromText(file, text, parse);
}
