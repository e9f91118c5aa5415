/**
 * The run bundle's code cache (src/cli/run-loader.ts): used only when it is ours, authentic and
 * made for this very source; anything else is a miss that compiles as without a cache.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import vm from 'node:vm';
import { codeCacheDir, codeCacheFile, loadBundle, readCodeCache, writeCodeCache } from '../../../src/cli/run-loader.js';
import { RUN_NODE_FLAGS } from '../../../src/clients/launcher.js';
import { cacheKey } from '../../../src/profile/cache-trust.js';

const SOURCE = '(function (exports, require, module, __filename, __dirname, __bundleUrl) {\nexports.runMain = async () => 7;\nexports.url = __bundleUrl;\nexports.dir = __dirname;\n})';

let root: string;
let env: NodeJS.ProcessEnv;
let bundle: string;
let key: Buffer;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-run-loader-'));
  env = { XDG_CACHE_HOME: path.join(root, 'cache'), XDG_CONFIG_HOME: path.join(root, 'config') };
  bundle = path.join(root, 'dist', 'run.cjs');
  mkdirSync(path.dirname(bundle));
  writeFileSync(bundle, SOURCE);
  key = cacheKey(env, true) as Buffer;
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));
const cacheFileOf = (): string => codeCacheFile(codeCacheDir(env) as string, bundle);

test('the bundle runs with its parameters; after a miss the cache is written owner-only and V8 accepts it', async () => {
  const loaded = loadBundle(bundle, { env, writeAfterMs: 0 }) as unknown as { runMain(): Promise<number>; url: string; dir: string };
  expect(await loaded.runMain()).toBe(7);
  expect(loaded.url).toBe(`file://${bundle}`);
  expect(loaded.dir).toBe(path.dirname(bundle));
  await settle();
  const file = cacheFileOf();
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  const data = readCodeCache(file, SOURCE, key);
  expect(data).toBeDefined();
  const script = new vm.Script(SOURCE, { filename: bundle, cachedData: data as Buffer });
  expect(script.cachedDataRejected).toBe(false);
});

test('a hit is not written again', async () => {
  loadBundle(bundle, { env, writeAfterMs: 0 });
  await settle();
  const before = statSync(cacheFileOf()).mtimeMs;
  await new Promise((resolve) => setTimeout(resolve, 20));
  loadBundle(bundle, { env, writeAfterMs: 0 });
  await settle();
  expect(statSync(cacheFileOf()).mtimeMs).toBe(before);
});

test('another source, a changed byte, another key, loose modes and symlinks are misses', async () => {
  loadBundle(bundle, { env, writeAfterMs: 0 });
  await settle();
  const file = cacheFileOf();
  expect(readCodeCache(file, SOURCE, key)).toBeDefined();
  // Same length, other code: V8 alone would take it (it checks the length only).
  expect(readCodeCache(file, SOURCE.replace('7', '8'), key)).toBeUndefined();
  expect(readCodeCache(file, SOURCE, Buffer.alloc(32, 1))).toBeUndefined();
  const bytes = readFileSync(file);
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  writeFileSync(file, tampered);
  expect(readCodeCache(file, SOURCE, key)).toBeUndefined();
  writeFileSync(file, bytes);
  chmodSync(file, 0o644);
  expect(readCodeCache(file, SOURCE, key)).toBeUndefined();
  chmodSync(file, 0o600);
  chmodSync(path.dirname(file), 0o755);
  expect(readCodeCache(file, SOURCE, key)).toBeUndefined();
  chmodSync(path.dirname(file), 0o700);
  const link = path.join(path.dirname(file), 'link.bin');
  symlinkSync(file, link);
  expect(readCodeCache(link, SOURCE, key)).toBeUndefined();
  expect(readCodeCache(file, SOURCE, key)).toBeDefined();
});

test('a rejected or unreadable cache is rewritten; the bundle still runs', async () => {
  const file = cacheFileOf();
  expect(writeCodeCache(file, SOURCE, key, Buffer.from('not a code cache'))).toBe(true);
  const loaded = loadBundle(bundle, { env, writeAfterMs: 0 }) as unknown as { runMain(): Promise<number> };
  expect(await loaded.runMain()).toBe(7);
  await settle();
  const data = readCodeCache(file, SOURCE, key);
  expect(data?.toString()).not.toBe('not a code cache');
  expect(new vm.Script(SOURCE, { filename: bundle, cachedData: data as Buffer }).cachedDataRejected).toBe(false);
});

test('MCP_SANDBOX_CACHE=0 and a missing per-user key write nothing', async () => {
  loadBundle(bundle, { env: { ...env, MCP_SANDBOX_CACHE: '0' }, writeAfterMs: 0 });
  const noKey = { XDG_CACHE_HOME: path.join(root, 'cache2'), XDG_CONFIG_HOME: path.join(root, 'config2') };
  loadBundle(bundle, { env: noKey, writeAfterMs: 0 });
  await settle();
  expect(existsSync(cacheFileOf())).toBe(false);
  expect(existsSync(path.join(root, 'cache2'))).toBe(false);
});

test('node under the run flags and plain node keep separate cache files (V8 rejects a cache of other flags)', () => {
  const tagUnder = (flags: string[]): string => execFileSync(process.execPath, [...flags, '-p', "require('node:v8').cachedDataVersionTag().toString(16)"], { encoding: 'utf8' }).trim();
  expect(path.basename(cacheFileOf())).toBe(`run.cjs-${process.version}-${process.arch}-${cachedDataVersionTag().toString(16)}.bin`);
  expect(tagUnder([...RUN_NODE_FLAGS])).not.toBe(tagUnder([]));
});
