/**
 * A cache of the read, parse and `extends` stages for `run`'s start path: parsing YAML means
 * loading the yaml library, a measurable cost on every start of an MCP server (BENCHMARKS.md).
 * It is one `ChainSource` of src/profile/stages.ts (`cachedChain`), not a second pipeline.
 *
 * What is stored, per absolute profile path (in $XDG_CACHE_HOME/mcp-sandbox or
 * ~/.cache/mcp-sandbox): the CLI version, every layer file with the sha256 of its bytes, the
 * merged profile (after `extends`, before normalize) and the directory each relative path
 * resolved against. Never an environment value or a secret: normalize always runs fresh.
 *
 * Trust: the cache can never make `run` use a profile other than the one on disk.
 * - Owner-only: the entries directory must be a real directory owned by the current uid with
 *   mode 0700, each entry a regular file (not a symlink) owned by that uid with mode 0600.
 * - Verified: every layer is re-read and re-hashed; a changed byte misses.
 * - Authenticated: the entry carries an HMAC-SHA256 under a per-user key kept outside the cache
 *   ($XDG_CONFIG_HOME/mcp-sandbox/cache.key, 0600). A process that can write ~/.cache (a server
 *   with a writable cache mount, a sync tool) but cannot read the key cannot forge an entry:
 *   turning a hardened profile privileged in the cache is a miss, and the full load runs.
 * Anything unexpected is a miss. On a hit, locating anything throws `CacheNeedsFullLoad` and the
 * caller redoes the full load, which reports the error with the same line as without the cache.
 * Writes are atomic (temp file + rename) and best-effort. MCP_SANDBOX_CACHE=0 turns it off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { homedir } from 'node:os';
import path from 'node:path';
import { VERSION } from '../version.js';
import { cacheKey, mac, ownerOnlyDir, readOwnerOnly, tighten } from './cache-trust.js';
import { readInputBytes } from './read.js';

export { profileCacheKeyFile } from './cache-trust.js';
import { loadStages, type ChainSource, type StageOptions } from './stages.js';
import type { NormalizedProfile } from './types.js';

/** Bumped when the entry's layout changes. */
const FORMAT = 2;

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

/** The entry for `file` if it is ours, authentic and still valid (same version, every layer unchanged). */
export function readProfileCache(dir: string, file: string, env: NodeJS.ProcessEnv = process.env): ProfileCacheEntry | undefined {
  const target = profileCacheFile(dir, file);
  if (!ownerOnlyDir(path.dirname(target))) return undefined;
  const bytes = readOwnerOnly(target);
  const key = bytes && cacheKey(env, false);
  if (!bytes || !key) return undefined;
  let entry: ProfileCacheEntry;
  try {
    const { mac: written, ...rest } = JSON.parse(bytes.toString('utf8')) as ProfileCacheEntry & { mac?: unknown };
    const expected = Buffer.from(mac(key, JSON.stringify(rest)), 'hex');
    const actual = Buffer.from(typeof written === 'string' ? written : '', 'hex');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
    entry = rest;
  } catch {
    return undefined; // corrupt: a miss
  }
  if (!isEntry(entry) || entry.format !== FORMAT || entry.version !== VERSION || entry.file !== file || entry.layers[0]?.file !== file) return undefined;
  for (const layer of entry.layers) {
    try {
      if (sha256(readInputBytes(layer.file)) !== layer.sha256) return undefined;
    } catch {
      return undefined;
    }
  }
  return entry;
}

function isEntry(value: unknown): value is ProfileCacheEntry {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  const isLayer = (l: unknown): boolean => l !== null && typeof l === 'object' && typeof (l as Record<string, unknown>).file === 'string' && typeof (l as Record<string, unknown>).sha256 === 'string';
  return (
    typeof e.format === 'number' &&
    typeof e.version === 'string' &&
    typeof e.file === 'string' &&
    Array.isArray(e.layers) &&
    e.layers.length > 0 &&
    e.layers.every(isLayer) &&
    isRecord(e.merged) &&
    isRecord(e.baseDirs)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Stores an entry; best-effort (never throws), atomic, owner-only, authenticated. */
export function writeProfileCache(dir: string, entry: Omit<ProfileCacheEntry, 'format' | 'version'>, env: NodeJS.ProcessEnv = process.env): boolean {
  // Only data that survives JSON unchanged (.inf, .nan, -0 would not): otherwise a hit could differ from a cold load.
  if (!jsonSafe(entry.merged) || !jsonSafe(entry.baseDirs)) return false;
  const full: ProfileCacheEntry = { format: FORMAT, version: VERSION, ...entry, baseDirs: { ...entry.baseDirs } };
  const target = profileCacheFile(dir, entry.file);
  try {
    const key = cacheKey(env, true);
    if (!key) return false;
    const body = JSON.stringify(full);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    tighten(dir);
    tighten(path.dirname(target));
    if (!ownerOnlyDir(path.dirname(target))) return false;
    writeFileAtomic(target, JSON.stringify({ ...full, mac: mac(key, body) }), { mode: 0o600, keepMode: false, durable: false });
    prune(path.dirname(target));
    return true;
  } catch {
    return false; // writeFileAtomic removed its temp file
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
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    return Object.keys(value).every((key) => key !== '__proto__' && jsonSafe((value as Record<string, unknown>)[key], depth + 1));
  }
  return false;
}

/** The parse and extends stages answered by a verified entry; positions need the full load. */
export function cachedChain(entry: ProfileCacheEntry): ChainSource {
  const locate = (): never => {
    throw new CacheNeedsFullLoad('a source position');
  };
  return () => ({
    file: entry.file,
    merged: entry.merged, // freshly parsed from the cache file: nobody else holds it
    files: entry.layers.map((l) => l.file),
    locate,
    baseDir: (pointer) => {
      const dir = Object.hasOwn(entry.baseDirs, pointer) ? entry.baseDirs[pointer] : undefined;
      if (typeof dir !== 'string') throw new CacheNeedsFullLoad(`the directory of ${pointer}`);
      return dir;
    },
  });
}

/** Schema and normalize on a cached entry (loadStages with `cachedChain`). */
export function normalizeCached(entry: ProfileCacheEntry, options: StageOptions = {}): NormalizedProfile {
  return loadStages(entry.file, cachedChain(entry), options).profile;
}
