/**
 * Loads `mcp-sandbox run` (dist/run.cjs, one CommonJS file built from ./run-entry.ts) with a
 * V8 code cache: compiling the launcher's code, and the functions its start calls (the profile
 * validator, normalize, the lint rules, the engine client), was a large part of every start's
 * CPU, and a client starting ten servers at once pays it ten times over two cores
 * (BENCHMARKS.md, launcher start-up). Node 20 has no compile cache for modules; a `vm.Script`
 * takes `cachedData`, so the bundle is a script and this loader runs it.
 *
 * The cache is code that will run, so it is trusted exactly like the profile cache
 * (src/profile/cache.ts, src/profile/cache-trust.ts): it lives in an owner-only directory
 * ($XDG_CACHE_HOME/mcp-sandbox/code, 0700), is an owner-only regular file (0600, never followed
 * through a symlink), and carries an HMAC-SHA256 under the per-user key kept outside the cache,
 * computed over node's version, the platform, the bundle's source and the cache bytes. V8 checks
 * only the source's length, so the source being in the MAC is what makes a cache of another
 * build a miss. Anything unexpected (no key yet, another owner, a stale or corrupt file, V8
 * rejecting the data) is a miss: the bundle compiles as without a cache, and the cache is written
 * again once the launcher has started (atomic rename, best-effort). MCP_SANDBOX_CACHE=0 turns it
 * off, as it does the profile cache.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedDataVersionTag } from 'node:v8';
import vm from 'node:vm';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { cacheKey, ownerOnlyDir, readOwnerOnly, tighten } from '../profile/cache-trust.js';
import type { brokerMain, runMain } from './run-entry.js';

/** What dist/run.cjs exports. */
export interface RunBundle {
  runMain: typeof runMain;
  /** The warm-start broker's `run` (src/run/warm-broker.ts). */
  brokerMain: typeof brokerMain;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** When the cache is written after a miss (ms after load); the process's exit writes it too if earlier. */
  writeAfterMs?: number;
}

/** MAC length (bytes) at the head of a cache file. */
const MAC_BYTES = 32;
/** readOwnerOnly's limit: a larger cache would be a miss on every start, so it is not written. */
const MAX_CACHE_BYTES = 4 * 1024 * 1024;
const WRITE_AFTER_MS = 2000;

/** The code cache's directory, or undefined when caching is off (MCP_SANDBOX_CACHE=0). */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.MCP_SANDBOX_CACHE === '0') return undefined;
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), '.cache');
  return path.join(base, 'mcp-sandbox', 'code');
}

/**
 * The cache file for a bundle: one per bundle file name, node version and V8 flag set. V8
 * rejects a cache made under other flags (the tag covers them), so `run` under RUN_NODE_FLAGS
 * (src/clients/launcher.ts) and a plain `node bin/mcp-sandbox.js run` each keep their own
 * instead of rewriting one file in turn.
 */
export function codeCacheFile(dir: string, bundle: string): string {
  return path.join(dir, `${path.basename(bundle)}-${process.version}-${process.arch}-${cachedDataVersionTag().toString(16)}.bin`);
}

function cacheMac(key: Buffer, source: string, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${process.version} ${process.platform} ${process.arch}\n`).update(source).update('\n').update(data).digest();
}

/** The verified cache data for this source, or undefined (any doubt is a miss). */
export function readCodeCache(file: string, source: string, key: Buffer): Buffer | undefined {
  if (!ownerOnlyDir(path.dirname(file))) return undefined;
  const bytes = readOwnerOnly(file);
  if (!bytes || bytes.length <= MAC_BYTES) return undefined;
  const data = bytes.subarray(MAC_BYTES);
  return timingSafeEqual(bytes.subarray(0, MAC_BYTES), cacheMac(key, source, data)) ? data : undefined;
}

/** Writes the cache (owner-only, atomic, authenticated); false when it could not. Never throws. */
export function writeCodeCache(file: string, source: string, key: Buffer, data: Uint8Array): boolean {
  if (data.length + MAC_BYTES > MAX_CACHE_BYTES) return false;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    tighten(path.dirname(path.dirname(file)));
    tighten(path.dirname(file));
    if (!ownerOnlyDir(path.dirname(file))) return false;
    writeFileAtomic(file, Buffer.concat([cacheMac(key, source, data), data]), { mode: 0o600, keepMode: false, durable: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a CommonJS bundle as a script with the code cache. `import.meta.url` in the sources is
 * the bundle's `__bundleUrl` (scripts/build.mjs defines it), and its `import()`s use node's
 * default loader (vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER, node 20.12 and later: hence
 * package.json's engines).
 */
export function loadBundle(bundle: string, options: LoadOptions = {}): RunBundle {
  const env = options.env ?? process.env;
  const source = readFileSync(bundle, 'utf8');
  const dir = codeCacheDir(env);
  const key = dir === undefined ? undefined : cacheKey(env, false);
  const file = dir === undefined ? undefined : codeCacheFile(dir, bundle);
  const cachedData = file && key ? readCodeCache(file, source, key) : undefined;
  // The file is one function expression (scripts/build.mjs: banner and footer).
  const script = new vm.Script(source, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as RunBundle };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle), pathToFileURL(bundle).href);
  if (file && key && (!cachedData || script.cachedDataRejected === true)) scheduleWrite(() => writeCodeCache(file, source, key, script.createCachedData()), options.writeAfterMs ?? WRITE_AFTER_MS);
  return module.exports;
}

/**
 * After a miss: the cache is made once the start is over (it then holds the functions the start
 * compiled, not only the bundle's top level), or at exit if that comes first.
 */
function scheduleWrite(write: () => void, afterMs: number): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    process.off('exit', once);
    write();
  };
  setTimeout(once, afterMs).unref();
  process.on('exit', once);
}
