import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDockerRun, parseDockerRun, toProfileName } from '../../../src/clients/docker-run.js';
import { toDockerArgv } from '../../../src/compile/docker-argv.js';
import { compileSpec } from '../../../src/compile/spec.js';
import { loadProfile } from '../../../src/profile/load.js';
import { normalizeProfile } from '../../../src/profile/normalize.js';
import type { Profile } from '../../../src/profile/types.js';
import { validateProfile } from '../../../src/profile/validate.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const here = { file: 'test', line: 1, column: 1 };

function normalize(profile: Profile) {
  validateProfile(profile, () => here);
  return normalizeProfile(profile, { env: {}, home: '/home/u', locate: () => here, baseDir: () => '/' });
}

function roundTrip(argv: string[]): string[] {
  const parsed = parseDockerRun(argv.slice(1));
  expect(parsed.unmapped).toEqual([]);
  return toDockerArgv(compileSpec(normalize(parsed.profile)));
}

describe('parseDockerRun round-trips what render emits', () => {
  const shipped = readdirSync(path.join(ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'));
  test.each(shipped)('profiles/%s', (file) => {
    const spec = compileSpec(loadProfile(path.join(ROOT, 'profiles', file), { env: { POSTGRES_HOST: 'db.example.com' }, home: '/home/u' }).profile);
    const argv = toDockerArgv(spec);
    // An allowlisted server's argv is one command of its egress set (render --format shell prints
    // the whole set): joining another container's namespace is exactly what the parser flags.
    if (spec.network === 'allow') expect(parseDockerRun(argv.slice(1)).unmapped).toEqual([expect.objectContaining({ arg: `--network=container:mcp-sandbox-egress-${spec.name}-dns`, dangerous: true })]);
    else expect(roundTrip(argv)).toEqual(argv);
  });

  test('a profile using every key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-rt-'));
    writeFileSync(path.join(dir, 'seccomp.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}');
    const file = path.join(dir, 'all.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: all-keys',
        'image: registry.example.com/team/srv:2.0@sha256:' + 'c'.repeat(64),
        'pull: always',
        'entrypoint: [/bin/tini, --]',
        'command: [node, "/app/a b.js", --flag]',
        'workdir: /app',
        'user: "1000:1000"',
        'runtime: runc',
        'network: host',
        'namespaces: {pid: host, ipc: host, uts: host, userns: host}',
        'resources: {memory: 1g, memorySwap: -1, cpus: 0.5, pids: 0}',
        'filesystem:',
        '  readOnlyRoot: false',
        '  tmpfs: [{path: /tmp, size: 1m, exec: true, mode: "1777"}, {path: /run}]',
        '  mounts:',
        '    - {source: "/srv/a,b", target: /data, readOnly: false}',
        '    - {type: volume, source: vol1, target: /vol}',
        'security: {capDrop: [NET_RAW], capAdd: [CHOWN], noNewPrivileges: false, seccomp: seccomp.json, init: false, privileged: true}',
        'env: {B: "2", A: "x=y"}',
        'secrets: [TOKEN]',
        'labels: {org.example.team: core}',
      ].join('\n'),
    );
    const argv = toDockerArgv(compileSpec(loadProfile(file).profile));
    expect(roundTrip(argv)).toEqual(argv);
  });
});

describe('parseDockerRun on hand-written lines', () => {
  test('absent flags mean docker defaults, not hardened ones', () => {
    const { profile } = parseDockerRun(['run', '-i', '--rm', 'mcp/github']);
    expect(profile).toMatchObject({
      image: 'mcp/github',
      runtime: 'runc',
      network: 'bridge',
      resources: { memory: '0', cpus: 0, pids: -1 },
      filesystem: { readOnlyRoot: false, tmpfs: [], mounts: [] },
      security: { capDrop: [], noNewPrivileges: false, init: false },
    });
  });

  test('short, combined and separated flags; -e with and without values; -v', () => {
    const parse = parseDockerRun(['run', '-it', '-e', 'GITHUB_TOKEN', '-eMODE=fast', '-v', '/home/u/code:/code:ro', '-v', 'data:/data', '-m', '256M', '--cap-drop', 'all', '-u', '1000', 'img:1', 'serve', '--port', '1']);
    expect(parse.profile).toMatchObject({
      secrets: ['GITHUB_TOKEN'],
      env: { MODE: 'fast' },
      user: '1000',
      image: 'img:1',
      command: ['serve', '--port', '1'],
      resources: { memory: '256m', memorySwap: String(512 * 1024 * 1024) },
      security: { capDrop: ['ALL'] },
      filesystem: { mounts: [{ type: 'bind', source: '/home/u/code', target: '/code', readOnly: true }, { type: 'volume', source: 'data', target: '/data', readOnly: false }] },
    });
    expect(parse.unmapped.map((u) => u.arg)).toEqual(['-t']);
    expect(parse.origins.get('/env/MODE')).toBe(4);
    expect(parse.origins.get('/image')).toBe(15);
  });

  test('unmapped flags are listed with their values and reasons', () => {
    const parse = parseDockerRun(['run', '-p', '8080:80', '--env-file', '.env', '--security-opt', 'apparmor=unconfined', '--network', 'mynet', 'img']);
    expect(parse.unmapped.map((u) => [u.arg, u.index])).toEqual([
      ['-p 8080:80', 1],
      ['--env-file .env', 3],
      ['--security-opt apparmor=unconfined', 5],
      ['--network mynet', 7],
    ]);
    expect(parse.unmapped[2]?.reason).toContain('disables a protection');
    expect(parse.profile.network).toBe('bridge');
  });

  test('docker container run, podman, and what is not docker run', () => {
    expect(isDockerRun('docker', ['container', 'run', 'x'])).toBe(true);
    expect(isDockerRun('/usr/bin/podman', ['run', 'x'])).toBe(true);
    expect(isDockerRun('docker.exe', ['run'])).toBe(true);
    expect(isDockerRun('docker', ['exec', 'x'])).toBe(false);
    expect(isDockerRun('npx', ['run'])).toBe(false);
    expect(parseDockerRun(['container', 'run', 'img']).profile.image).toBe('img');
  });

  test('names become valid profile names', () => {
    expect(toProfileName('My Server_1')).toBe('my-server-1');
    expect(toProfileName('---')).toBe('server');
    expect(parseDockerRun(['run', 'ghcr.io/org/tool:1'], {}).profile.name).toBe('tool');
  });
});
