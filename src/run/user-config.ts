/**
 * The user's launcher settings with the yaml parser loaded up front, for commands other than
 * `run` (the file's format and reading are in user-config-core.ts, shared with `run`).
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
