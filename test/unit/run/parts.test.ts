import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Demuxer } from '../../../src/engine/demux.js';
import { describeEndpoint, resolveEndpoint } from '../../../src/engine/endpoint.js';
import { splitImageRef } from '../../../src/engine/http-client.js';
import { collectOrphans, describeSandbox, formatAge } from '../../../src/sandboxes/sandboxes.js';
import { LABELS } from '../../../src/labels.js';
import { parseSecrets, resolveSecrets, secretSources } from '../../../src/run/secrets.js';
import { loadUserConfig, mapRuntime } from '../../../src/run/user-config.js';
import { FakeEngine, frame } from './fake-engine.js';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-'));

describe('resolveEndpoint', () => {
  const none = { exists: () => false, readFile: (): string => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); } };

  test('DOCKER_HOST unix:// and tcp:// win', () => {
    expect(resolveEndpoint({ ...none, env: { DOCKER_HOST: 'unix:///run/x.sock' }, home: '/h' })).toMatchObject({ kind: 'unix', socketPath: '/run/x.sock', source: 'DOCKER_HOST' });
    const tcp = resolveEndpoint({ ...none, env: { DOCKER_HOST: 'tcp://10.0.0.2:2375' }, home: '/h' });
    expect(describeEndpoint(tcp)).toBe('tcp://10.0.0.2:2375');
    expect(() => resolveEndpoint({ ...none, env: { DOCKER_HOST: 'ssh://host' }, home: '/h' })).toThrow(/cannot use/);
  });

  test('the current docker context from config.json and its meta.json', () => {
    const home = '/h';
    const digest = createHash('sha256').update('colima').digest('hex');
    const files: Record<string, string> = {
      '/h/.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
      [`/h/.docker/contexts/meta/${digest}/meta.json`]: JSON.stringify({ Endpoints: { docker: { Host: 'unix:///h/.colima/docker.sock' } } }),
    };
    const readFile = (f: string): string => {
      if (files[f] === undefined) throw new Error('ENOENT');
      return files[f] as string;
    };
    expect(resolveEndpoint({ env: {}, home, exists: () => true, readFile })).toMatchObject({ socketPath: '/h/.colima/docker.sock', source: 'docker context "colima"' });
    // DOCKER_CONTEXT=default goes back to the default socket.
    expect(resolveEndpoint({ env: { DOCKER_CONTEXT: 'default' }, home, exists: () => true, readFile })).toMatchObject({ socketPath: '/var/run/docker.sock' });
  });

  test('default socket, then Docker Desktop socket', () => {
    expect(resolveEndpoint({ ...none, env: {}, home: '/h', exists: (f) => f === '/var/run/docker.sock' })).toMatchObject({ socketPath: '/var/run/docker.sock' });
    expect(resolveEndpoint({ ...none, env: {}, home: '/h', exists: (f) => f === '/h/.docker/run/docker.sock' })).toMatchObject({ socketPath: '/h/.docker/run/docker.sock' });
  });
});

describe('Demuxer', () => {
  test('splits frames across arbitrary chunk boundaries', async () => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const demux = new Demuxer((c, done) => (out.push(Buffer.from(c)), done()), (c, done) => (err.push(Buffer.from(c)), done()));
    const stream = Buffer.concat([frame(1, 'hello '), frame(2, 'warn'), frame(1, Buffer.alloc(70_000, 120)), frame(1, 'end')]);
    for (let i = 0; i < stream.length; i += 3) demux.write(stream.subarray(i, i + 3));
    await new Promise<void>((resolve) => demux.end(resolve));
    expect(Buffer.concat(out).toString()).toBe(`hello ${'x'.repeat(70_000)}end`);
    expect(Buffer.concat(err).toString()).toBe('warn');
  });
});

describe('secrets', () => {
  test('parse KEY=VALUE with comments, export and quotes', () => {
    expect(Object.fromEntries(parseSecrets('# c\nexport A=1\nB = "two words"\nC=\'x=y\'\n\nbad line\n'))).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });

  test('environment first, then a 0600 file; a readable file is refused', () => {
    const dir = tmp();
    const file = path.join(dir, 'secrets.env');
    writeFileSync(file, 'FROM_FILE=f\nBOTH=file\n');
    chmodSync(file, 0o600);
    const env = { MCP_SANDBOX_SECRETS_FILE: file, BOTH: 'env' };
    expect(resolveSecrets(['BOTH', 'FROM_FILE'], { env })).toEqual({ BOTH: 'env', FROM_FILE: 'f' });
    expect(secretSources(['BOTH', 'FROM_FILE', 'NONE'], { env })).toEqual([
      { name: 'BOTH', source: 'env' },
      { name: 'FROM_FILE', source: 'file' },
      { name: 'NONE', source: 'missing' },
    ]);
    expect(() => resolveSecrets(['NONE'], { env })).toThrow(/secret NONE declared by the profile is not set/);
    chmodSync(file, 0o640);
    expect(() => resolveSecrets(['FROM_FILE'], { env })).toThrow(/mode is 0640/);
    // Nothing is read when the environment has everything.
    expect(resolveSecrets(['BOTH'], { env })).toEqual({ BOTH: 'env' });
  });
});

describe('user config', () => {
  test('runtime mapping per network mode, or one name for all', () => {
    const dir = tmp();
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, 'runtimes:\n  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }\n  kata: kata-qemu\nstopGrace: 5\n');
    const config = loadUserConfig({ MCP_SANDBOX_CONFIG: file });
    expect(config.stopGrace).toBe(5);
    expect(mapRuntime(config, 'runsc', 'none')).toBe('runsc');
    expect(mapRuntime(config, 'runsc', 'bridge')).toBe('runsc-net');
    expect(mapRuntime(config, 'kata', 'host')).toBe('kata-qemu');
    expect(mapRuntime(config, 'runc', 'bridge')).toBe('runc');
  });

  test('missing file is empty; bad values are one clear error', () => {
    expect(loadUserConfig({ MCP_SANDBOX_CONFIG: '/nonexistent/config.yaml' })).toEqual({ runtimes: {}, stopGrace: 2 });
    const file = path.join(tmp(), 'config.yaml');
    writeFileSync(file, 'runtimes:\n  runsc: { wifi: x }\n');
    expect(() => loadUserConfig({ MCP_SANDBOX_CONFIG: file })).toThrow(/runtimes\.runsc\.wifi: network mode must be none, bridge or host/);
  });
});

describe('sandboxes', () => {
  const probe = { hostname: () => 'here', isAlive: (pid: number) => pid === 100 };
  const summary = (pid: string | undefined, host = 'here') => ({
    Id: `id-${pid}`,
    Names: ['/mcp-sandbox-x'],
    Image: 'i',
    Labels: { 'mcp-sandbox.profile': 'p', ...(pid ? { 'mcp-sandbox.launcher-pid': pid, [LABELS.launcherHost]: host } : {}) },
    State: 'running',
    Status: 'Up',
    Created: 1000,
  });

  test('launcher liveness: alive, dead, remote, none', () => {
    expect(describeSandbox(summary('100'), probe, 1_060_000)).toMatchObject({ launcher: "alive", age: 60, name: 'mcp-sandbox-x' });
    expect(describeSandbox(summary('200'), probe).launcher).toBe('dead');
    expect(describeSandbox(summary('200', 'elsewhere'), probe).launcher).toBe('remote');
    expect(describeSandbox(summary(undefined), probe).launcher).toBe('none');
    expect(formatAge(59)).toBe('59s');
    expect(formatAge(7200)).toBe('2h');
  });

  test('gc removes only containers whose launcher is dead here', async () => {
    const engine = new FakeEngine({ containers: [summary('100'), summary('200'), summary('300', 'elsewhere'), summary(undefined)] });
    const removed = await collectOrphans(engine, { probe });
    expect(removed.map((e) => e.id)).toEqual(['id-200']);
    expect(engine.removed).toEqual(['id-200']);
  });
});

test('image references split into fromImage and tag', () => {
  expect(splitImageRef('node:20')).toEqual({ name: 'node', tag: '20' });
  expect(splitImageRef('localhost:5000/a/b')).toEqual({ name: 'localhost:5000/a/b', tag: 'latest' });
  expect(splitImageRef('ghcr.io/x/y@sha256:abc')).toEqual({ name: 'ghcr.io/x/y', tag: 'sha256:abc' });
});
