/**
 * Valid profiles: extends merging, path resolution, expansion, defaults and units.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATE_DEFAULTS, PROFILE_DEFAULTS, SERVE_DEFAULTS, WARM_DEFAULTS } from '../../../src/profile/defaults.js';
import { deepMerge, loadProfile, type LoadOptions } from '../../../src/profile/load.js';
import { compactJson } from '../../../src/profile/normalize.js';
import { closest, typoDistance } from '../../../src/profile/suggest.js';
import { formatSize, parseSize } from '../../../src/profile/units.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const valid = path.resolve(here, '../../fixtures/profile/valid');
const HOME = '/home/user';
const fixed: LoadOptions = { env: { HOME }, home: HOME };

/** Loads an in-memory profile at /virtual/<name>, with extra virtual files. */
function loadText(text: string, options: LoadOptions = {}, files: Record<string, string> = {}): ReturnType<typeof loadProfile> {
  const all: Record<string, string> = { '/virtual/p.yaml': text, ...files };
  return loadProfile('/virtual/p.yaml', {
    ...fixed,
    ...options,
    readFile: (file: string): string => {
      const content = all[file];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
      return content;
    },
  });
}

const HEAD = 'version: 1\nname: t\nimage: busybox:1\n';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('extends', () => {
  const derived = loadProfile(path.join(valid, 'team/derived.yaml'), fixed);

  it('merges maps key by key', () => {
    expect(derived.profile.resources).toEqual({ memory: GiB, memorySwap: GiB, cpus: 0.5, pids: 128 });
    expect(derived.profile.env).toEqual({ LOG_LEVEL: 'info', REGION: 'us' });
    expect(derived.profile.labels).toEqual({ team: 'base', tier: 'silver' });
  });

  it('replaces lists instead of concatenating them', () => {
    expect(derived.profile.filesystem.tmpfs).toEqual([{ path: '/scratch', size: 8 * MiB, exec: true, mode: '1777' }]);
  });

  it('lists every contributing file, most derived first, and drops the extends key', () => {
    expect(derived.files).toEqual([path.join(valid, 'team/derived.yaml'), path.join(valid, 'bases/hardened.yaml')]);
    expect(derived.raw).not.toHaveProperty('extends');
  });

  it('resolves a base mount source against the base file, not the derived one', () => {
    expect(derived.profile.filesystem.mounts).toEqual([
      { type: 'bind', source: path.join(valid, 'bases/shared-data'), target: '/data', readOnly: true },
    ]);
  });

  it('resolves a derived mount source against the derived file', () => {
    const own = loadProfile(path.join(valid, 'team/own-mounts.yaml'), fixed);
    expect(own.profile.filesystem.mounts).toEqual([
      { type: 'bind', source: path.join(valid, 'team/local'), target: '/local', readOnly: true },
      { type: 'bind', source: path.join(valid, 'bases/elsewhere'), target: '/elsewhere', readOnly: false },
    ]);
  });

  it('follows a chain of several files', () => {
    const two = loadProfile(path.join(valid, 'team/two-levels.yaml'), fixed);
    expect(two.profile.name).toBe('two-levels');
    expect(two.profile.image).toBe('busybox:1');
    expect(two.profile.resources).toEqual({ memory: 256 * MiB, memorySwap: 256 * MiB, cpus: 0.5, pids: 128 });
    expect(two.files.map((f) => path.relative(valid, f))).toEqual(['team/two-levels.yaml', 'team/derived.yaml', 'bases/hardened.yaml']);
    // The positions still point into the file that wrote each value.
    expect(two.locate('/resources/memory')).toMatchObject({ file: path.join(valid, 'team/two-levels.yaml'), line: 4 });
    expect(two.locate('/resources/pids')).toMatchObject({ file: path.join(valid, 'bases/hardened.yaml'), line: 5 });
  });

  it('deepMerge: maps merge, lists and scalars replace, the inputs are not modified', () => {
    const base = { a: { x: 1, y: [1, 2] }, b: 'base', c: [1] };
    const over = { a: { y: [3] }, c: [] };
    expect(deepMerge(base, over)).toEqual({ a: { x: 1, y: [3] }, b: 'base', c: [] });
    expect(base).toEqual({ a: { x: 1, y: [1, 2] }, b: 'base', c: [1] });
  });

  it('deepMerge keeps a __proto__ key as a key', () => {
    const over = JSON.parse('{"__proto__": {"network": "host"}}') as Record<string, unknown>;
    const merged = deepMerge({}, over);
    expect(Object.keys(merged)).toEqual(['__proto__']);
    expect((merged as { network?: string }).network).toBeUndefined();
  });
});

describe('host path expansion', () => {
  const mount = (source: string, env: NodeJS.ProcessEnv = {}): string =>
    loadText(`${HEAD}filesystem:\n  mounts:\n    - source: "${source}"\n      target: /m\n`, { env }).profile.filesystem.mounts[0]?.source as string;

  it.each([
    ['~', HOME],
    ['~/Documents', `${HOME}/Documents`],
    ['${DATA}/x', '/srv/data/x'],
    ['${UNSET:-/opt/fallback}', '/opt/fallback'],
    ['${UNSET:-~/Documents}', `${HOME}/Documents`],
    ['${DATA:-/opt/fallback}', '/srv/data'],
    ['${EMPTY:-/opt/fallback}', '/opt/fallback'],
    ['./rel/dir', '/virtual/rel/dir'],
    ['../up', '/up'],
    ['/abs/./path/', '/abs/path'],
  ])('%s -> %s', (source, expected) => {
    expect(mount(source, { DATA: '/srv/data', EMPTY: '' })).toBe(expected);
  });

  it('leaves volume names alone', () => {
    const loaded = loadText(`${HEAD}filesystem:\n  mounts:\n    - { type: volume, source: my-vol, target: /v, readOnly: false }\n`);
    expect(loaded.profile.filesystem.mounts).toEqual([{ type: 'volume', source: 'my-vol', target: '/v', readOnly: false }]);
  });

  it('expands a seccomp path relative to the profile and compacts it like the docker CLI', () => {
    const loaded = loadText(`${HEAD}security:\n  seccomp: ./sec.json\n`, {}, { '/virtual/sec.json': '{ "defaultAction": "SCMP_ACT_ERRNO" }' });
    expect(loaded.profile.security.seccomp).toEqual({ kind: 'file', path: '/virtual/sec.json', content: '{"defaultAction":"SCMP_ACT_ERRNO"}' });
  });
});

describe('defaults', () => {
  const minimal = loadText(HEAD).profile;

  it('come from src/profile/defaults.ts', () => {
    const d = PROFILE_DEFAULTS;
    expect(minimal).toEqual({
      version: 1,
      name: 't',
      image: 'busybox:1',
      pull: d.pull,
      runtime: d.runtime,
      network: d.network,
      namespaces: { pid: 'private', ipc: 'private', uts: 'private', userns: 'private' },
      resources: {
        memory: parseSize(d.resources.memory),
        memorySwap: parseSize(d.resources.memory),
        cpus: d.resources.cpus,
        pids: d.resources.pids,
      },
      filesystem: {
        readOnlyRoot: d.filesystem.readOnlyRoot,
        tmpfs: d.filesystem.tmpfs.map((t) => ({ path: t.path, size: parseSize(t.size), exec: t.exec })),
        mounts: [],
      },
      security: {
        capDrop: [...d.security.capDrop],
        capAdd: [],
        noNewPrivileges: d.security.noNewPrivileges,
        seccomp: { kind: 'default' },
        init: d.security.init,
        privileged: d.security.privileged,
      },
      env: {},
      secrets: [],
      labels: {},
      justifications: {},
      gate: { ...GATE_DEFAULTS, tools: { ...GATE_DEFAULTS.tools, constrain: {} } },
      warm: { pool: WARM_DEFAULTS.pool, idleTimeout: 30 * 60 },
      serve: { sessions: { max: SERVE_DEFAULTS.sessions.max, perSubject: SERVE_DEFAULTS.sessions.perSubject, idleTimeout: 15 * 60 } },
    });
  });

  it('are hardened', () => {
    expect(minimal.runtime).toBe('runsc');
    expect(minimal.network).toBe('none');
    expect(minimal.filesystem.readOnlyRoot).toBe(true);
    expect(minimal.security.capDrop).toEqual(['ALL']);
    expect(minimal.security.noNewPrivileges).toBe(true);
    expect(minimal.resources.memorySwap).toBe(minimal.resources.memory);
    expect(minimal.resources.pids).toBeGreaterThan(100); // runsc headroom, see defaults.ts
  });

  it('mounts are read-only unless readOnly: false', () => {
    const m = loadText(`${HEAD}filesystem:\n  mounts:\n    - { source: /a, target: /a }\n`).profile.filesystem.mounts[0];
    expect(m?.readOnly).toBe(true);
  });
});

describe('units and special values', () => {
  it.each([
    ['512m', 512 * MiB],
    ['1g', GiB],
    ['1.5g', 1.5 * GiB],
    ['1G', GiB],
    ['64k', 64 * 1024],
    ['4096b', 4096],
    ['4096', 4096],
    [4096, 4096],
    [0, 0],
    ['0', 0],
  ])('parseSize(%p) = %p', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['512mb', '1 g', '-1', '', 'm', '1.5.5g', '1t'])('parseSize(%p) is undefined', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });

  it.each([
    [64 * MiB, '64m'],
    [GiB, '1g'],
    [1.5 * GiB, '1536m'],
    [1025, '1025'],
    [0, '0'],
  ])('formatSize(%p) = %p', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it.each([
    ['memory: 512m', { memory: 512 * MiB, memorySwap: 512 * MiB }],
    ['memory: 1.5g', { memory: 1.5 * GiB, memorySwap: 1.5 * GiB }],
    ['memory: 4096', { memory: 4096, memorySwap: 4096 }],
    ['memory: 0', { memory: 0, memorySwap: 0 }],
    ['memory: 0\n  memorySwap: -1', { memory: 0, memorySwap: -1 }],
    ['memory: 1g\n  memorySwap: -1', { memory: GiB, memorySwap: -1 }],
    ['memory: 1g\n  memorySwap: 2g', { memory: GiB, memorySwap: 2 * GiB }],
    ['pids: 0', { pids: -1 }],
    ['pids: -1', { pids: -1 }],
    ['cpus: 0', { cpus: 0 }],
    ['cpus: 1.5', { cpus: 1.5 }],
  ])('resources %s', (yaml, expected) => {
    expect(loadText(`${HEAD}resources:\n  ${yaml}\n`).profile.resources).toMatchObject(expected);
  });

  it('tmpfs sizes and options', () => {
    const fs = loadText(`${HEAD}filesystem:\n  tmpfs:\n    - { path: /a }\n    - { path: /b, size: 1g, exec: true, mode: "0700" }\n`).profile.filesystem;
    expect(fs.tmpfs).toEqual([
      { path: '/a', exec: false },
      { path: '/b', size: GiB, exec: true, mode: '0700' },
    ]);
  });
});

describe('other fields', () => {
  it('user may be an integer', () => {
    expect(loadText(`${HEAD}user: 1000\n`).profile.user).toBe('1000');
    expect(loadText(`${HEAD}user: "1000:1000"\n`).profile.user).toBe('1000:1000');
    expect(loadText(`${HEAD}user: app\n`).profile.user).toBe('app');
  });

  it('env values become strings', () => {
    expect(loadText(`${HEAD}env:\n  N: 42\n  B: true\n  S: "x y"\n`).profile.env).toEqual({ N: '42', B: 'true', S: 'x y' });
  });

  it('an env variable called __proto__ is kept as a variable', () => {
    const env = loadText(`${HEAD}env:\n  __proto__: x\n`).profile.env;
    expect(Object.keys(env)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });

  it('capability names are normalised to the engine spelling', () => {
    const sec = loadText(`${HEAD}security:\n  capAdd: [CAP_CHOWN, NET_BIND_SERVICE]\n`).profile.security;
    expect(sec.capAdd).toEqual(['CHOWN', 'NET_BIND_SERVICE']);
  });

  it('the kitchen-sink fixture loads', () => {
    const loaded = loadProfile(path.join(valid, 'kitchen-sink.yaml'), fixed);
    expect(loaded.profile.filesystem.mounts[0]?.source).toBe(`${HOME}/work, space`);
    expect(loaded.profile.security.seccomp).toMatchObject({ kind: 'file', path: path.join(valid, 'seccomp.json') });
  });
});

describe('helpers', () => {
  it('compactJson drops only insignificant whitespace, as Go json.Compact does', () => {
    expect(compactJson('{ "a b": [1.0, 2e3, "x\\" y", "\\u0041"],\n\t"c" : {} }\n')).toBe('{"a b":[1.0,2e3,"x\\" y","\\u0041"],"c":{}}');
  });

  it('typo suggestions count a swap of two letters as one edit', () => {
    expect(typoDistance('nnoe', 'none')).toBe(1);
    expect(typoDistance('kitten', 'sitting')).toBe(3);
    expect(closest('nnoe', ['none', 'bridge', 'host'])).toBe('none');
    expect(closest('memroy', ['memory', 'cpus'])).toBe('memory');
    expect(closest('zzzz', ['none', 'bridge', 'host'])).toBeUndefined();
  });
});
