/**
 * What makes the profile cache (src/profile/cache.ts) trustworthy: owner-only files and
 * directories, and the per-user key that authenticates every entry. The key lives outside the
 * cache directory, in $XDG_CONFIG_HOME/mcp-sandbox/cache.key (else ~/.config/…), because
 * ~/.cache is the directory most often shared with other tools and mounted into containers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { MAX_INPUT_BYTES } from './read.js';

/** Where the per-user key that authenticates entries lives: outside the cache directory. */
export function profileCacheKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || homedir(), '.config');
  return path.join(config, 'mcp-sandbox', 'cache.key');
}

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** A regular file (not a symlink) owned by us that nobody else can read or write, or undefined. */
export function readOwnerOnly(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    const mine = uid() === undefined || stat.uid === uid();
    if (!stat.isFile() || !mine || (stat.mode & 0o077) !== 0 || stat.size > 4 * MAX_INPUT_BYTES) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The entries directory is ours alone: a directory, not a symlink, our uid, mode 0700. */
export { ownerOnlyDir } from '../fs/owner-socket.js';

/** Mode 0700 for a directory of ours (an older version made them 0755); never follows a symlink. */
export function tighten(dir: string): void {
  const stat = lstatSync(dir);
  if (stat.isDirectory() && (uid() === undefined || stat.uid === uid()) && (stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** The key, created (0600, exclusively) when `create` and absent. Undefined: no cache. */
export function cacheKey(env: NodeJS.ProcessEnv, create: boolean): Buffer | undefined {
  const file = profileCacheKeyFile(env);
  const existing = readOwnerOnly(file);
  if (existing && existing.length >= 32) return existing;
  if (!create) return undefined;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  } catch {
    // another process made it first, or the config directory is read-only
  }
  const key = readOwnerOnly(file);
  return key && key.length >= 32 ? key : undefined;
}

export function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

