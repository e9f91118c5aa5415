/**
 * A cache of the parse and `extends` stages for `run`'s start path: parsing YAML means loading
 * the yaml library, which costs ~8 MB of RSS and a few ms on every start of an MCP server.
 *
 * What is stored, per absolute profile path (in $XDG_CACHE_HOME/mcp-sandbox or
 * ~/.cache/mcp-sandbox, mode 0600): the CLI version, every layer file with the sha256 of its
 * bytes, the merged profile (after `extends`, before normalize) and the directory each relative
 * path resolved against. Never an environment value or a secret: profiles name secrets, and
 * normalize (which reads env and home) always runs fresh.
 *
 * A hit needs the same version and every layer re-read and re-hashed to the same digest. The
 * schema still validates a hit (the precompiled validator is cheap). Error messages need source
 * positions, which only the YAML documents have: on a hit, locating anything throws
 * `CacheNeedsFullLoad`, and the caller redoes the full load, which then reports the error with
 * the same line as without the cache. Writes are atomic (temp file + rename) and best-effort: a
 * read-only or missing home only means no cache. MCP_SANDBOX_CACHE=0 turns the cache off.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { VERSION } from '../version.js';
import { normalizeProfile, type NormalizeContext } from './normalize.js';
import type { NormalizedProfile } from './types.js';
import { validateProfile } from './validate.js';

/** Bumped when the entry's layout changes. */
const FORMAT = 1;

/** Entries kept: profiles in temporary directories (tests, benchmarks) would otherwise pile up. */
export const MAX_ENTRIES = 256;

export interface ProfileCacheEntry {
  format: number;
  version: string;
  /** Absolute path of the profile asked for. */
  file: string;
  /** Every file that contributed, most derived first, with the sha256 of its bytes. */
  layers: Array<{ file: string; sha256: string }>;
  /** The merged profile, as written (schema-valid when stored). */
  merged: Record<string, unknown>;
  /** Pointer -> directory of the layer that wrote it, for every relative path normalize resolved. */
  baseDirs: Record<string, string>;
}

/** Thrown on a cache hit when something needs the YAML documents (a source position). */
export class CacheNeedsFullLoad extends Error {
  constructor(what: string) {
    super(`the profile cache cannot answer ${what}`);
    this.name = 'CacheNeedsFullLoad';
  }
}

/** The cache directory, or undefined when the cache is off. */
export function profileCacheDir(env: NodeJS.ProcessEnv = process.env, home?: string): string | undefined {
  if (env.MCP_SANDBOX_CACHE === '0') return undefined;
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home ?? homedir(), '.cache');
  return path.join(base, 'mcp-sandbox');
}

/** Where the entry for an absolute profile path lives. */
export function profileCacheFile(dir: string, file: string): string {
  return path.join(dir, 'profiles', `${sha256(file).slice(0, 32)}.json`);
}

/** Hex sha256 of a file's bytes (or of a string), as the entries record layers. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The entry for `file` if it is still valid (same version, every layer's bytes unchanged). */
export function readProfileCache(dir: string, file: string): ProfileCacheEntry | undefined {
  let entry: ProfileCacheEntry;
  try {
    entry = JSON.parse(readFileSync(profileCacheFile(dir, file), 'utf8')) as ProfileCacheEntry;
  } catch {
    return undefined; // missing, unreadable or corrupt: a miss
  }
  if (!isEntry(entry) || entry.format !== FORMAT || entry.version !== VERSION || entry.file !== file || entry.layers[0]?.file !== file) return undefined;
  for (const layer of entry.layers) {
    try {
      if (sha256(readFileSync(layer.file)) !== layer.sha256) return undefined;
    } catch {
      return undefined;
    }
  }
  return entry;
}

function isEntry(value: unknown): value is ProfileCacheEntry {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.format === 'number' &&
    typeof e.version === 'string' &&
    typeof e.file === 'string' &&
    Array.isArray(e.layers) &&
    e.layers.length > 0 &&
    e.layers.every((l: unknown) => l !== null && typeof l === 'object' && typeof (l as Record<string, unknown>).file === 'string' && typeof (l as Record<string, unknown>).sha256 === 'string') &&
    e.merged !== null &&
    typeof e.merged === 'object' &&
    !Array.isArray(e.merged) &&
    e.baseDirs !== null &&
    typeof e.baseDirs === 'object'
  );
}

/** Stores an entry; best-effort (never throws), atomic, mode 0600. */
export function writeProfileCache(dir: string, entry: Omit<ProfileCacheEntry, 'format' | 'version'>): boolean {
  const full: ProfileCacheEntry = { format: FORMAT, version: VERSION, ...entry };
  // Only data that survives JSON unchanged (.inf, .nan, -0 would not): otherwise a hit could differ from a cold load.
  if (!jsonSafe(entry.merged)) return false;
  const text = JSON.stringify(full);
  const target = profileCacheFile(dir, entry.file);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
    renameSync(temp, target);
    prune(path.dirname(target));
    return true;
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing was written
    }
    return false;
  }
}

/** Past MAX_ENTRIES, drops the least recently written half (writes happen on misses only). */
function prune(entriesDir: string): void {
  try {
    const names = readdirSync(entriesDir).filter((name) => name.endsWith('.json'));
    if (names.length <= MAX_ENTRIES) return;
    const dated = names.map((name) => {
      const file = path.join(entriesDir, name);
      try {
        return { file, mtime: statSync(file).mtimeMs };
      } catch {
        return { file, mtime: 0 };
      }
    });
    dated.sort((a, b) => a.mtime - b.mtime);
    for (const { file } of dated.slice(0, names.length - MAX_ENTRIES / 2)) rmSync(file, { force: true });
  } catch {
    // best-effort
  }
}

function jsonSafe(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((item) => jsonSafe(item, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.keys(value).every((key) => key !== '__proto__' && jsonSafe((value as Record<string, unknown>)[key], depth + 1));
  }
  return false;
}

/**
 * Schema and normalize on a cached merged profile. Throws `CacheNeedsFullLoad` (or whatever
 * normalize throws) whenever the full load must decide: the caller then loads without the cache.
 */
export function normalizeCached(entry: ProfileCacheEntry, options: { env?: NodeJS.ProcessEnv; home?: string } = {}): NormalizedProfile {
  const locate = (): never => {
    throw new CacheNeedsFullLoad('a source position');
  };
  const merged = entry.merged; // freshly parsed from the cache file: nobody else holds it
  validateProfile(merged, locate);
  const ctx: NormalizeContext = {
    env: options.env ?? process.env,
    home: options.home ?? homedir(),
    locate,
    baseDir: (pointer) => {
      const dir = Object.hasOwn(entry.baseDirs, pointer) ? entry.baseDirs[pointer] : undefined;
      if (typeof dir !== 'string') throw new CacheNeedsFullLoad(`the directory of ${pointer}`);
      return dir;
    },
  };
  return normalizeProfile(merged, ctx);
}
