/**
 * The catalog in profiles/: every top-level profile loads through the real pipeline, extends
 * the hardened base, is buildable (`build:` with an exact version matching the image tag),
 * never pulls, and says why whenever it opens the network or a writable mount.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadProfile } from '../../../src/profile/load.js';
import { parsePackageSpec } from '../../../src/build/package-spec.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const DIR = path.join(ROOT, 'profiles');
// Top level only: profiles/base/ holds partial profiles meant for `extends`.
const files = readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
  .map((e) => e.name)
  .sort();
const env = { HOME: '/home/test', POSTGRES_HOST: 'db.example.com' };

test('at least 8 servers, including the ones the README promises', () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
  for (const name of ['filesystem', 'memory', 'everything', 'fetch', 'github', 'git', 'postgres', 'sqlite']) {
    expect(files).toContain(`${name}.yaml`);
  }
});

test('every catalog profile appears in docs/catalog.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'catalog.md'), 'utf8');
  for (const file of files) expect(doc).toContain(`profiles/${file}`);
});

describe.each(files)('profiles/%s', (file) => {
  const raw = parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, unknown>;
  const loaded = loadProfile(path.join(DIR, file), { env, home: '/home/test' });
  const p = loaded.profile;

  test('extends the hardened base and keeps its hardening', () => {
    expect(raw.extends).toBe('base/hardened.yaml');
    expect(p.runtime).toBe('runsc');
    expect(p.user).toBe('10001:10001');
    expect(p.filesystem.readOnlyRoot).toBe(true);
    expect(p.security).toMatchObject({ capDrop: ['ALL'], capAdd: [], noNewPrivileges: true, privileged: false, init: true });
    expect(p.namespaces).toEqual({ pid: 'private', ipc: 'private', uts: 'private', userns: 'private' });
    expect(p.resources.memory).toBeGreaterThan(0);
    expect(p.resources.pids).toBeGreaterThanOrEqual(256);
    for (const t of p.filesystem.tmpfs) expect(t.size).toBeGreaterThan(0);
  });

  test('built locally: pull never, mcp-sandbox/<name>:<package version>', () => {
    expect(p.pull).toBe('never');
    expect(p.build).toBeDefined();
    const spec = parsePackageSpec(p.build!.base, p.build!.package);
    expect(p.image).toBe(`mcp-sandbox/${p.name}:${spec.version}`);
    expect(`${p.name}.yaml`).toBe(file);
    expect(p.description).toBeTruthy();
  });

  test('network and writable mounts come with a justification', () => {
    // An allowlist needs no justification (MS203 still asks for one on "*" entries); bridge does.
    if (p.network === 'bridge') expect(p.justifications.MS201).toBeTruthy();
    if (p.network === 'allow') expect(p.egress?.entries.length).toBeGreaterThan(0);
    expect(p.network).not.toBe('host');
    if (p.filesystem.mounts.some((m) => !m.readOnly)) expect(p.justifications.MS303).toBeTruthy();
  });

  test('secrets are names only, never literal env values', () => {
    for (const name of p.secrets) expect(p.env[name]).toBeUndefined();
    for (const [name, value] of Object.entries(p.env)) expect(`${name}=${value}`).not.toMatch(/token|password|secret/i);
  });
});
