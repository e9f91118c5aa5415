/**
 * Turns a `<profile>` argument into a file: a path as given, or a name looked up in, in order:
 *
 *   1. each directory of $MCP_SANDBOX_PROFILE_PATH (the user chose them for this invocation),
 *   2. ~/.config/mcp-sandbox/profiles (the user's own, reviewed profiles),
 *   3. ./profiles (the working directory's).
 *
 * ./profiles comes last on purpose: the working directory is often a freshly cloned repository,
 * and a name such as `github` must not resolve to a profile that repository ships when the user
 * has their own. A name found in several places says which file won and which were shadowed.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { SandboxError, unreadableReason } from '../errors.js';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A resolved argument: the file, how it was found, and same-named files it shadowed. */
export interface ResolvedProfile {
  file: string;
  /** 'path' for an argument that names a file; otherwise the search directory that held it. */
  from: 'path' | string;
  /** Files of the same name further down the search path. */
  shadowed: string[];
}

/** The directories searched for a profile name, in order. */
export function profileSearchPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string[] {
  const extra = (env.MCP_SANDBOX_PROFILE_PATH ?? '').split(path.delimiter).filter(Boolean);
  return [...extra.map((d) => path.resolve(cwd, d)), path.join(home, '.config', 'mcp-sandbox', 'profiles'), path.join(cwd, 'profiles')];
}

/** Resolves a profile argument, or throws PROFILE_NOT_FOUND. */
export function resolveProfile(arg: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): ResolvedProfile {
  const looksLikePath = arg.includes('/') || arg.includes(path.sep) || /\.ya?ml$/.test(arg);
  if (looksLikePath || !NAME.test(arg)) {
    const file = path.resolve(cwd, arg);
    if (!existsSync(file)) throw new SandboxError('PROFILE_NOT_FOUND', `profile file ${arg} does not exist`, { hint: 'pass a path to a .yaml profile or a profile name' });
    const stat = statSync(file);
    if (!stat.isFile()) throw new SandboxError('INPUT_UNREADABLE', `profile file ${arg} ${unreadableReason({ code: stat.isDirectory() ? 'EISDIR' : 'ENOTREG' })}`, { hint: 'pass a path to a .yaml profile or a profile name' });
    return { file, from: 'path', shadowed: [] };
  }
  const dirs = profileSearchPath(env, cwd, home);
  const found = dirs.flatMap((dir) => ['.yaml', '.yml'].map((ext) => ({ dir, file: path.join(dir, arg + ext) }))).filter(({ file }) => existsSync(file));
  const first = found[0];
  if (first) return { file: first.file, from: first.dir, shadowed: found.slice(1).map((f) => f.file) };
  throw new SandboxError('PROFILE_NOT_FOUND', `no profile named "${arg}" in ${dirs.join(', ')}`, {
    hint: 'pass a path, or add the directory to MCP_SANDBOX_PROFILE_PATH',
  });
}

/** Resolves a profile argument to an absolute file path, or throws PROFILE_NOT_FOUND. */
export function resolveProfileArg(arg: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string {
  return resolveProfile(arg, env, cwd, home).file;
}

/** One line for `--verbose` and `render`/`validate`: where a name came from and what it shadowed. */
export function describeResolution(arg: string, resolved: ResolvedProfile): string {
  if (resolved.from === 'path') return `profile ${resolved.file}`;
  const shadowed = resolved.shadowed.length > 0 ? `; it shadows ${resolved.shadowed.join(', ')}` : '';
  return `profile "${arg}" is ${resolved.file} (from ${resolved.from})${shadowed}`;
}
