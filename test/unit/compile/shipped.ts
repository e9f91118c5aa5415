/**
 * The shipped profiles (profiles/*.yaml, read from the directory so a new profile is covered
 * without touching a test) and a machine-independent way to compile them.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileSpec, type SandboxSpec } from '../../../src/compile/spec.js';
import { loadProfile, type LoadedProfile } from '../../../src/profile/load.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PROFILES_DIR = path.join(REPO, 'profiles');
/** The environment goldens are rendered in: a fixed HOME, the postgres profile's database host, no MCP_* variables. */
export const FIXED_HOME = '/home/user';
export const FIXED_ENV: NodeJS.ProcessEnv = { HOME: FIXED_HOME, POSTGRES_HOST: 'db.example.com' };

export interface ShippedProfile {
  /** File name without extension: the golden files' prefix. */
  name: string;
  file: string;
}

export function shippedProfiles(): ShippedProfile[] {
  return readdirSync(PROFILES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.ya?ml$/, ''), file: path.join(PROFILES_DIR, f) }));
}

/** Loads and compiles a profile with the given environment (default: the fixed one). */
export function compileFile(file: string, env: NodeJS.ProcessEnv = FIXED_ENV, home = FIXED_HOME): { loaded: LoadedProfile; spec: SandboxSpec } {
  const loaded = loadProfile(file, { env, home });
  return { loaded, spec: compileSpec(loaded.profile) };
}
