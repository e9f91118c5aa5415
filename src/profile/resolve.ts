/**
 * Turns a `<profile>` argument into a file: a path as given, or a name looked up in
 * ./profiles, each directory of $MCP_SANDBOX_PROFILE_PATH, then ~/.config/mcp-sandbox/profiles.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../errors.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The directories searched for a profile name, in order. */
function profileSearchPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string[] {
  const extra = (env.MCP_SANDBOX_PROFILE_PATH ?? '').split(path.delimiter).filter(Boolean);
  return [path.join(cwd, 'profiles'), ...extra.map((d) => path.resolve(cwd, d)), path.join(home, '.config', 'mcp-sandbox', 'profiles')];
}

/** Resolves a profile argument to an absolute file path, or throws PROFILE_NOT_FOUND. */
export function resolveProfileArg(arg: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string {
  const looksLikePath = arg.includes('/') || arg.includes(path.sep) || /\.ya?ml$/.test(arg);
  if (looksLikePath || !NAME.test(arg)) {
    const file = path.resolve(cwd, arg);
    if (existsSync(file) && statSync(file).isFile()) return file;
    throw new SandboxError('PROFILE_NOT_FOUND', `profile file ${arg} does not exist`, { hint: 'pass a path to a .yaml profile or a profile name' });
  }
  const dirs = profileSearchPath(env, cwd, home);
  for (const dir of dirs) {
    for (const ext of ['.yaml', '.yml']) {
      const file = path.join(dir, arg + ext);
      if (existsSync(file)) return file;
    }
  }
  throw new SandboxError('PROFILE_NOT_FOUND', `no profile named "${arg}" in ${dirs.join(', ')}`, {
    hint: 'pass a path, or add the directory to MCP_SANDBOX_PROFILE_PATH',
  });
}
