/**
 * The docker run flag table, row by row: what a row emits for a spec parses back (through the
 * same row) into a profile that compiles to the same spec fields. And the parser on lines
 * people write: Windows paths, a value flag swallowing the next flag, `=` vs space vs `-it`.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { containerInvocation, isDockerRun, parseDockerRun } from '../../../src/clients/docker-run.js';
import { toDockerArgv } from '../../../src/compile/docker-argv.js';
import { DOCKER_RUN_FLAGS, flagByName, flagByShort } from '../../../src/compile/docker-flags.js';
import { splitVolumeSpec } from '../../../src/compile/docker-flag-values.js';
import { compileSpec, type SandboxSpec } from '../../../src/compile/spec.js';
import { loadProfile } from '../../../src/profile/load.js';
import { normalizeProfile } from '../../../src/profile/normalize.js';
import type { Profile } from '../../../src/profile/types.js';
import { validateProfile } from '../../../src/profile/validate.js';

const here = { file: 'test', line: 1, column: 1 };

function compileParsed(profile: Profile): SandboxSpec {
  validateProfile(profile, () => here);
  return compileSpec(normalizeProfile(profile, { env: {}, home: '/home/u', locate: () => here, baseDir: () => '/' }));
}

/** A spec in which every mapped row emits something. */
function fullSpec(): SandboxSpec {
  const dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
  writeFileSync(path.join(dir, 'seccomp.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}');
  const file = path.join(dir, 'all.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: all-flags',
      'image: img:1',
      'pull: always',
      'entrypoint: [/bin/tini]',
      'workdir: /app',
      'user: "1000:1000"',
      'runtime: runsc',
      'network: host',
      'namespaces: {pid: host, ipc: host, uts: host, userns: host}',
      'resources: {memory: 1g, memorySwap: 2g, cpus: 0.5, pids: 64}',
      'filesystem:',
      '  readOnlyRoot: true',
      '  tmpfs: [{path: /tmp, size: 1m, exec: true, mode: "1777"}]',
      '  mounts: [{source: "/srv/a,b", target: /data, readOnly: true}, {type: volume, source: vol1, target: /vol}]',
      'security: {capDrop: [NET_RAW], capAdd: [CHOWN], noNewPrivileges: true, seccomp: seccomp.json, init: true, privileged: true}',
      'env: {A: "x=y"}',
      'secrets: [TOKEN]',
      'labels: {org.example.team: core}',
    ].join('\n'),
  );
  return compileSpec(loadProfile(file).profile);
}

/** The spec fields a row stands for. */
const FIELDS: Record<string, Array<keyof SandboxSpec>> = {
  pull: ['pull'],
  runtime: ['runtime'],
  network: ['network'],
  pid: ['namespaces'],
  ipc: ['namespaces'],
  uts: ['namespaces'],
  userns: ['namespaces'],
  'read-only': ['readOnlyRoot'],
  tmpfs: ['tmpfs'],
  memory: ['memory'],
  'memory-swap': ['memorySwap'],
  cpus: ['nanoCpus'],
  'pids-limit': ['pidsLimit'],
  'cap-drop': ['capDrop'],
  'cap-add': ['capAdd'],
  'security-opt': ['noNewPrivileges', 'seccomp'],
  privileged: ['privileged'],
  init: ['init'],
  user: ['user'],
  workdir: ['workdir'],
  entrypoint: ['entrypoint'],
  mount: ['mounts'],
  env: ['env', 'secrets'],
  label: ['labels'],
};

describe('every mapped row round-trips: emit -> parse -> same spec fields', () => {
  const spec = fullSpec();
  const rows = DOCKER_RUN_FLAGS.filter((row) => row.emit && row.pointer);
  test('the rows with a profile field are exactly the ones listed here', () => {
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(FIELDS).sort());
  });
  test.each(rows.map((row) => [row.name, row] as const))('--%s', (name, row) => {
    const args = row.emit?.(spec) ?? [];
    expect(args.length).toBeGreaterThan(0);
    // A swap limit only means something next to a memory limit.
    const context = name === 'memory-swap' ? (flagByName('memory')?.emit?.(spec) ?? []) : [];
    const parse = parseDockerRun(['run', ...context, ...args, 'img:1']);
    expect(parse.unmapped).toEqual([]);
    const back = compileParsed(parse.profile);
    const fields = FIELDS[name] ?? [];
    if (name === 'memory') back.memorySwap = spec.memorySwap; // docker's implied swap is not this row's
    for (const field of fields) {
      if (name === 'uts' || name === 'pid' || name === 'ipc' || name === 'userns') expect(back.namespaces[name]).toBe(spec.namespaces[name]);
      else expect(back[field]).toEqual(spec[field]);
    }
    // The row parses what it emits, every argument of it: each one set a profile field.
    const setters = new Set(parse.origins.values());
    args.forEach((_, i) => expect(setters.has(1 + context.length + i)).toBe(true));
  });

  test('the whole argv round-trips too', () => {
    const argv = toDockerArgv(spec);
    const parse = parseDockerRun(argv.slice(1));
    expect(parse.unmapped).toEqual([]);
    expect(toDockerArgv(compileParsed(parse.profile))).toEqual(argv);
  });

  test('names, aliases and short letters are unique across the table', () => {
    const names = DOCKER_RUN_FLAGS.flatMap((r) => [r.name, ...(r.aliases ?? [])]);
    expect(new Set(names).size).toBe(names.length);
    const shorts = DOCKER_RUN_FLAGS.flatMap((r) => (r.short ? [r.short] : []));
    expect(new Set(shorts).size).toBe(shorts.length);
    expect(flagByName('net')).toBe(flagByName('network'));
    expect(flagByShort('v')?.name).toBe('volume');
  });
});

describe('hand-written lines', () => {
  test('Windows paths in -v keep their drive letter', () => {
    expect(splitVolumeSpec('C:\\Users\\me\\code:/code:ro')).toEqual(['C:\\Users\\me\\code', '/code', 'ro']);
    expect(splitVolumeSpec('c:/data:d:/data')).toEqual(['c:/data', 'd:/data']);
    const parse = parseDockerRun(['run', '-v', 'C:\\Users\\me\\code:/code:ro', '-v', 'D:/x:/y', 'img']);
    expect(parse.profile.filesystem?.mounts).toEqual([
      { type: 'bind', source: 'C:\\Users\\me\\code', target: '/code', readOnly: true },
      { type: 'bind', source: 'D:/x', target: '/y', readOnly: false },
    ]);
    expect(parse.unmapped).toEqual([]);
  });

  test('a short value flag takes the next argument even when it looks like a flag, and says so', () => {
    const parse = parseDockerRun(['run', '-e', '-v', '/:/host', 'img']);
    expect(parse.unmapped).toEqual([{ arg: '-e -v', index: 1, reason: '-e takes "-v" as its value (docker does the same), so the rest of the line shifts' }]);
    // As docker reads it: -v is an environment name, "/:/host" the image.
    expect(parse.profile.secrets).toEqual(['-v']);
    expect(parse.profile.image).toBe('/:/host');
    expect(parse.profile.filesystem?.mounts).toEqual([]);
    // A negative number is a value, not a flag.
    expect(parseDockerRun(['run', '--memory-swap', '-1', 'img']).unmapped).toEqual([]);
  });

  test('--flag=value, --flag value, -fvalue and combined -it mean the same', () => {
    const forms = [
      ['run', '--user=1000', '--env=A=1', '--interactive', '--tty', 'img'],
      ['run', '--user', '1000', '--env', 'A=1', '-i', '-t', 'img'],
      ['run', '-u1000', '-eA=1', '-it', 'img'],
      ['run', '-itu', '1000', '-e', 'A=1', 'img'],
    ];
    const results = forms.map((args) => {
      const parse = parseDockerRun(args);
      return { user: parse.profile.user, env: { ...parse.profile.env }, image: parse.profile.image, unmapped: parse.unmapped.map((u) => u.reason) };
    });
    for (const result of results) expect(result).toEqual({ user: '1000', env: { A: '1' }, image: 'img', unmapped: ['--tty has no profile equivalent'] });
  });

  test('a value flag at the end of the line, an unknown short letter', () => {
    expect(parseDockerRun(['run', '--memory']).unmapped.map((u) => u.reason)).toEqual(['--memory needs a value']);
    expect(parseDockerRun(['run', '-Z', 'img']).unmapped.map((u) => u.reason)).toEqual(['-Z is not a docker run flag']);
  });

  test('--mount of the engine socket is a bind (MS301 judges it); rshared propagation is dangerous', () => {
    const parse = parseDockerRun(['run', '--mount', 'type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock', '--mount=type=bind,source=/srv,target=/srv,bind-propagation=rshared', 'img']);
    expect(parse.profile.filesystem?.mounts?.[0]).toEqual({ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: false });
    expect(parse.unmapped.filter((u) => u.dangerous).map((u) => u.index)).toEqual([3]);
  });

  test('keys from the line are plain names: env and labels have no prototype', () => {
    const parse = parseDockerRun(['run', '-e', '__proto__=x', '-e', 'constructor=y', '-l', 'toString=z', 'img']);
    expect(Object.keys(parse.profile.env ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(parse.profile.labels ?? {})).toEqual(['toString']);
  });
});

describe('which entries are docker run', () => {
  test.each([
    [['docker', ['run', 'x']], 1],
    [['docker', ['container', 'run', 'x']], 2],
    [['/usr/bin/podman', ['run', 'x']], 1],
    [['sudo', ['-E', 'docker', 'run', 'x']], 3],
    [['env', ['A=1', 'docker', '--debug', 'run', 'x']], 4],
    [['docker', ['--context', 'prod', 'run', 'x']], 3],
  ] as const)('%j starts run flags at %i', ([command, args], start) => {
    expect(containerInvocation(command, args)?.runStart).toBe(start);
    expect(isDockerRun(command, args)).toBe(true);
  });

  test.each([
    ['docker', ['exec', '-i', 'db', 'x']],
    ['docker', ['compose', 'run', 'x']],
    ['docker-compose', ['run', 'x']],
    ['bash', ['-lc', 'exec docker run x']],
  ] as const)('%s %j is reached but not judged', (command, args) => {
    const invocation = containerInvocation(command, [...args]);
    expect(invocation?.runStart).toBeUndefined();
    expect(invocation?.unjudged.length).toBeGreaterThan(0);
  });

  test.each([
    [['-H', 'tcp://10.0.0.5:2375', 'run', 'x'], 'global flag -H tcp://10.0.0.5:2375'],
    [['--config', '/tmp/evil', 'run', 'x'], 'global flag --config /tmp/evil'],
    [['--host=unix:///tmp/other.sock', 'container', 'run', 'x'], 'global flag --host=unix:///tmp/other.sock'],
  ])('docker %j: judged as run, and the global flag reported', (args, message) => {
    const invocation = containerInvocation('docker', args);
    expect(invocation?.runStart).toBe(args.indexOf('run') + 1);
    expect(invocation?.unjudged).toEqual([{ index: 0, message: expect.stringContaining(message) }]);
  });

  test('a debug flag changes nothing', () => {
    expect(containerInvocation('docker', ['-D', '--log-level', 'debug', 'run', 'x'])?.unjudged).toEqual([]);
  });

  test('not a container engine at all', () => {
    expect(containerInvocation('npx', ['-y', 'server'])).toBeUndefined();
    expect(containerInvocation('node', ['docker.js'])).toBeUndefined();
  });
});
