/**
 * The profile cache on `run`'s start path (src/profile/cache.ts, prepareForRun in
 * src/run/launch.ts): a hit must give exactly what a cold load gives, any change to a layer must
 * miss, a broken cache file must not matter, and errors after a hit must read as without cache.
 */
import { createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareSandbox } from '../../../src/compile/prepare.js';
import { formatError } from '../../../src/errors.js';
import { MAX_ENTRIES, type ProfileCacheEntry, normalizeCached, profileCacheDir, profileCacheFile, profileCacheKeyFile, readProfileCache, writeProfileCache } from '../../../src/profile/cache.js';
import { loadProfile, loadProfileTraced } from '../../../src/profile/load.js';
import { VERSION } from '../../../src/version.js';
import { prepareForRun } from '../../../src/run/launch.js';

let dir: string;
let cacheHome: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-cache-'));
  cacheHome = path.join(dir, 'cache');
  mkdirSync(path.join(dir, 'base'));
  mkdirSync(path.join(dir, 'data'));
  mkdirSync(path.join(dir, 'base', 'data'));
  // The base lives in another directory: its relative mount source resolves against the base's directory.
  writeFileSync(
    path.join(dir, 'base', 'common.yaml'),
    'version: 1\nname: base\nimage: example/base:1\nresources: { memory: 256m }\nfilesystem:\n  mounts:\n    - { source: ./data, target: /data }\n',
  );
  writeFileSync(
    path.join(dir, 'server.yaml'),
    'extends: base/common.yaml\nname: cached-server\nenv: { MODE: "1" }\nsecrets: [API_TOKEN]\nsecurity: { seccomp: default }\n',
  );
  env = { XDG_CACHE_HOME: cacheHome, API_TOKEN: 'secret-value-not-for-disk', HOME: dir };
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const profile = (): string => path.join(dir, 'server.yaml');
const cacheEntries = (): string[] => {
  try {
    return readdirSync(path.join(cacheHome, 'mcp-sandbox', 'profiles'));
  } catch {
    return [];
  }
};

test('a hit gives the same spec and NormalizedProfile as a cold load', async () => {
  const cold = prepareSandbox(profile(), { env, extraArgs: ['--x'] });
  const first = await prepareForRun(profile(), { env, extraArgs: ['--x'] });
  expect(cacheEntries()).toHaveLength(1);
  const cacheDir = profileCacheDir(env) as string;
  const entry = readProfileCache(cacheDir, profile(), env);
  expect(entry).toBeDefined();
  expect(entry?.version).toBe(VERSION);
  expect(entry?.layers.map((l) => l.file)).toEqual([profile(), path.join(dir, 'base', 'common.yaml')]);
  const second = await prepareForRun(profile(), { env, extraArgs: ['--x'] });
  expect(first).toEqual(cold.spec);
  expect(second).toEqual(cold.spec);
  expect(normalizeCached(entry!, { env })).toEqual(loadProfile(profile(), { env }).profile);
  // The relative source came from the base: resolved against base/, also on a hit.
  expect(second.mounts[0]?.source).toBe(path.join(dir, 'base', 'data'));
});

test('the cache file is 0600 and holds no environment or secret values', async () => {
  await prepareForRun(profile(), { env, extraArgs: [] });
  const file = profileCacheFile(profileCacheDir(env) as string, profile());
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const text = readFileSync(file, 'utf8');
  expect(text).not.toContain('secret-value-not-for-disk');
  expect(text).toContain('API_TOKEN'); // the name, as the profile declares it
});

test('editing a base profile invalidates the entry', async () => {
  await prepareForRun(profile(), { env, extraArgs: [] });
  const cacheDir = profileCacheDir(env) as string;
  expect(readProfileCache(cacheDir, profile(), env)).toBeDefined();
  writeFileSync(path.join(dir, 'base', 'common.yaml'), readFileSync(path.join(dir, 'base', 'common.yaml'), 'utf8').replace('256m', '512m'));
  expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
  const spec = await prepareForRun(profile(), { env, extraArgs: [] });
  expect(spec.memory).toBe(512 * 1024 * 1024);
  expect(readProfileCache(cacheDir, profile(), env)).toBeDefined();
});

test('another CLI version or a missing layer misses', async () => {
  await prepareForRun(profile(), { env, extraArgs: [] });
  const cacheDir = profileCacheDir(env) as string;
  const file = profileCacheFile(cacheDir, profile());
  const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...entry, version: '0.0.0-other' }));
  expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
  writeFileSync(file, JSON.stringify(entry));
  expect(readProfileCache(cacheDir, profile(), env)).toBeDefined();
  rmSync(path.join(dir, 'base', 'common.yaml'));
  expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
});

test('a corrupt cache file is ignored and replaced', async () => {
  const cacheDir = profileCacheDir(env) as string;
  const file = profileCacheFile(cacheDir, profile());
  for (const junk of ['{not json', '[]', '{"format":1}', 'null', JSON.stringify({ format: 1, version: VERSION, file: profile(), layers: [{ file: profile(), sha256: 'x' }], merged: {}, baseDirs: {} })]) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, junk);
    expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
    expect(await prepareForRun(profile(), { env, extraArgs: [] })).toEqual(prepareSandbox(profile(), { env }).spec);
    expect(readProfileCache(cacheDir, profile(), env)).toBeDefined();
  }
});

test('an error after a hit prints the same line as a load without cache', async () => {
  writeFileSync(path.join(dir, 'server.yaml'), 'extends: base/common.yaml\nname: cached-server\nfilesystem:\n  mounts:\n    - { source: "${DATA_DIR}/x", target: /data }\n');
  await prepareForRun(profile(), { env: { ...env, DATA_DIR: dir }, extraArgs: [] });
  expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeDefined();
  const withoutCache = (() => {
    try {
      loadProfile(profile(), { env });
    } catch (error) {
      return formatError(error);
    }
    return 'no error';
  })();
  expect(withoutCache).toMatch(/server\.yaml:5:\d+: environment variable DATA_DIR/);
  await expect(prepareForRun(profile(), { env, extraArgs: [] })).rejects.toThrow();
  const afterHit = await prepareForRun(profile(), { env, extraArgs: [] }).then(
    () => 'no error',
    (error: unknown) => formatError(error),
  );
  expect(afterHit).toBe(withoutCache);
});

test('an unwritable cache directory does not break run; MCP_SANDBOX_CACHE=0 turns it off', async () => {
  // A file where the cache directory should be (chmod would not stop root, who runs CI here).
  mkdirSync(cacheHome);
  writeFileSync(path.join(cacheHome, 'mcp-sandbox'), 'not a directory');
  const cold = prepareSandbox(profile(), { env }).spec;
  expect(await prepareForRun(profile(), { env, extraArgs: [] })).toEqual(cold);
  expect(await prepareForRun(profile(), { env, extraArgs: [] })).toEqual(cold);
  rmSync(path.join(cacheHome, 'mcp-sandbox'));
  expect(profileCacheDir({ ...env, MCP_SANDBOX_CACHE: '0' })).toBeUndefined();
  await prepareForRun(profile(), { env: { ...env, MCP_SANDBOX_CACHE: '0' }, extraArgs: [] });
  expect(cacheEntries()).toHaveLength(0);
});

test('data that JSON cannot carry exactly is not cached', () => {
  const cacheDir = profileCacheDir(env) as string;
  const { loaded, trace } = loadProfileTraced(profile(), { env });
  expect(writeProfileCache(cacheDir, { file: profile(), layers: trace.layers, merged: { ...loaded.raw, resources: { cpus: Number.POSITIVE_INFINITY } } as never, baseDirs: trace.baseDirs }, env)).toBe(false);
  expect(writeProfileCache(cacheDir, { file: profile(), layers: trace.layers, merged: loaded.raw as never, baseDirs: trace.baseDirs }, env)).toBe(true);
});

test('old entries are pruned past the limit, the new one kept', async () => {
  const entriesDir = path.join(cacheHome, 'mcp-sandbox', 'profiles');
  mkdirSync(entriesDir, { recursive: true });
  for (let i = 0; i < MAX_ENTRIES; i += 1) writeFileSync(path.join(entriesDir, `${String(i).padStart(32, '0')}.json`), '{}');
  await prepareForRun(profile(), { env, extraArgs: [] });
  expect(cacheEntries().length).toBe(MAX_ENTRIES / 2);
  expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeDefined();
});

describe('trust: a cache entry can never weaken the profile on disk', () => {
  const tamper = (file: string, change: (entry: Record<string, unknown>) => void): void => {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(entry);
    writeFileSync(file, JSON.stringify(entry));
  };
  const weaken = (entry: Record<string, unknown>): void => {
    const merged = entry.merged as Record<string, unknown>;
    merged.security = { privileged: true, capAdd: ['ALL'] };
    merged.network = 'host';
    merged.filesystem = { mounts: [{ source: '/', target: '/host', readOnly: false }] };
    entry.baseDirs = { '/filesystem/mounts/0/source': '/' };
  };

  test('an edited entry (privileged, network host, a mount of /) is refused and the hardened spec is used', async () => {
    const cold = prepareSandbox(profile(), { env }).spec;
    await prepareForRun(profile(), { env, extraArgs: [] });
    const file = profileCacheFile(profileCacheDir(env) as string, profile());
    tamper(file, weaken);
    // Accepted, the edited entry would run privileged on the host network with / mounted:
    const forged = JSON.parse(readFileSync(file, 'utf8')) as ProfileCacheEntry;
    expect(normalizeCached(forged, { env })).toMatchObject({ network: 'host', security: { privileged: true } });
    expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeUndefined();
    const spec = await prepareForRun(profile(), { env, extraArgs: [] });
    expect(spec).toEqual(cold);
    expect(spec.privileged).toBe(false);
    expect(spec.network).toBe('none');
    expect(spec.mounts.map((m) => m.target)).toEqual(['/data']);
  });

  test('an entry re-signed with a key other than the per-user key is refused', async () => {
    await prepareForRun(profile(), { env, extraArgs: [] });
    const file = profileCacheFile(profileCacheDir(env) as string, profile());
    tamper(file, (entry) => {
      weaken(entry);
      delete entry.mac;
      entry.mac = createHmac('sha256', Buffer.alloc(32, 7)).update(JSON.stringify(entry)).digest('hex');
    });
    expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeUndefined();
    expect((await prepareForRun(profile(), { env, extraArgs: [] })).privileged).toBe(false);
  });

  test('the key is 0600 outside the cache directory; without it nothing is trusted', async () => {
    await prepareForRun(profile(), { env, extraArgs: [] });
    const keyFile = profileCacheKeyFile(env);
    expect(keyFile.startsWith(path.join(cacheHome, ''))).toBe(false);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    chmodSync(keyFile, 0o644);
    expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeUndefined();
    chmodSync(keyFile, 0o600);
    expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeDefined();
    rmSync(keyFile);
    expect(readProfileCache(profileCacheDir(env) as string, profile(), env)).toBeUndefined();
  });

  test('an entry others can read, a symlinked entry, or an entries directory others can enter is not used', async () => {
    await prepareForRun(profile(), { env, extraArgs: [] });
    const cacheDir = profileCacheDir(env) as string;
    const file = profileCacheFile(cacheDir, profile());
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    chmodSync(file, 0o644);
    expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
    chmodSync(file, 0o600);
    renameSync(file, `${file}.real`);
    symlinkSync(`${file}.real`, file);
    expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
    rmSync(file);
    renameSync(`${file}.real`, file);
    expect(readProfileCache(cacheDir, profile(), env)).toBeDefined();
    chmodSync(path.dirname(file), 0o755);
    expect(readProfileCache(cacheDir, profile(), env)).toBeUndefined();
    // The next write tightens a directory of ours back to 0700.
    await prepareForRun(profile(), { env, extraArgs: [] });
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });
});
