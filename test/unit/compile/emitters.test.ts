/**
 * The two emitters: docker argv (and the shell/json/desktop spellings of it) and the Engine
 * API create body. Both are read from one SandboxSpec, so each case checks both.
 */
import path from 'node:path';
import { split } from 'shlex';
import { toDockerArgv, toShellCommand } from '../../../src/compile/docker-argv.js';
import { toCreateBody } from '../../../src/compile/engine-body.js';
import { compileSpec, effectiveCapabilities, type SandboxSpec } from '../../../src/compile/spec.js';
import { loadProfile } from '../../../src/profile/load.js';
import { REPO, compileFile } from './shipped.js';

const HEAD = 'version: 1\nname: t\nimage: busybox:1\n';

function specOf(yaml: string, env: NodeJS.ProcessEnv = {}, extraArgs?: string[]): SandboxSpec {
  const loaded = loadProfile('/virtual/p.yaml', {
    env,
    home: '/home/user',
    readFile: (f) => {
      if (f === '/virtual/p.yaml') return HEAD + yaml;
      if (f === '/virtual/sec.json') return '{ "defaultAction": "SCMP_ACT_ALLOW" }\n';
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
  });
  return compileSpec(loaded.profile, extraArgs ? { extraArgs } : {});
}

/** The value of the only `--flag=` argument, or undefined when absent. */
function flag(argv: string[], name: string): string | undefined {
  const found = argv.filter((a) => a.startsWith(`${name}=`));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.slice(name.length + 1);
}

/** The argv in each user-facing format, parsed back to an argv. */
function formats(argv: string[]): Record<string, string[]> {
  const desktop = JSON.parse(JSON.stringify({ mcpServers: { t: { command: argv[0], args: argv.slice(1) } } })) as {
    mcpServers: { t: { command: string; args: string[] } };
  };
  return {
    argv,
    shell: split(toShellCommand(argv)),
    json: JSON.parse(JSON.stringify(argv)) as string[],
    desktop: [desktop.mcpServers.t.command, ...desktop.mcpServers.t.args],
  };
}

describe('secrets', () => {
  const spec = specOf('secrets: [GITHUB_TOKEN, API_KEY]\nenv:\n  LOG_LEVEL: info\n');
  const argv = toDockerArgv(spec);

  it.each(Object.entries(formats(argv)))('render as --env=NAME only in %s', (_format, args) => {
    expect(args).toContain('--env=GITHUB_TOKEN');
    expect(args).toContain('--env=API_KEY');
    expect(args.filter((a) => /^--env=(GITHUB_TOKEN|API_KEY)=/.test(a))).toEqual([]);
    expect(args).toContain('--env=LOG_LEVEL=info');
  });

  it('never reach the shell command even when the launcher environment holds them', () => {
    const withEnv = toShellCommand(toDockerArgv(specOf('secrets: [GITHUB_TOKEN]\n', { GITHUB_TOKEN: 'ghp_secret' })));
    expect(withEnv).not.toContain('ghp_secret');
  });

  it('enter the body only with secretValues, and only the ones given', () => {
    expect(toCreateBody(spec).Env).toEqual(['LOG_LEVEL=info']);
    expect(toCreateBody(spec, { secretValues: { GITHUB_TOKEN: 'ghp_x', OTHER: 'y' } }).Env).toEqual(['LOG_LEVEL=info', 'GITHUB_TOKEN=ghp_x']);
    expect(toCreateBody(spec, { secretValues: { GITHUB_TOKEN: 'a', API_KEY: 'b=c' } }).Env).toEqual(['LOG_LEVEL=info', 'GITHUB_TOKEN=a', 'API_KEY=b=c']);
  });

  it('launcher labels are added to the body', () => {
    expect(toCreateBody(spec, { labels: { 'mcp-sandbox.launcher-pid': '42' } }).Labels).toEqual({
      'mcp-sandbox.profile': 't',
      'mcp-sandbox.launcher-pid': '42',
    });
  });
});

describe('entrypoint and command', () => {
  it('an entrypoint with several items: the first is --entrypoint, the rest lead the command', () => {
    const spec = specOf('entrypoint: [/bin/sh, -c, "exec \\"$@\\"", sh]\ncommand: [node, server.js]\n', {}, ['--extra', 'x y']);
    const argv = toDockerArgv(spec);
    expect(flag(argv, '--entrypoint')).toBe('/bin/sh');
    expect(argv.slice(argv.indexOf('busybox:1'))).toEqual(['busybox:1', '-c', 'exec "$@"', 'sh', 'node', 'server.js', '--extra', 'x y']);
    const body = toCreateBody(spec);
    expect(body.Entrypoint).toEqual(['/bin/sh']);
    expect(body.Cmd).toEqual(['-c', 'exec "$@"', 'sh', 'node', 'server.js', '--extra', 'x y']);
  });

  it('no entrypoint and no command leave the image defaults', () => {
    const spec = specOf('');
    expect(toDockerArgv(spec).at(-1)).toBe('busybox:1');
    expect(flag(toDockerArgv(spec), '--entrypoint')).toBeUndefined();
    const body = toCreateBody(spec);
    expect(body).not.toHaveProperty('Entrypoint');
    expect(body).not.toHaveProperty('Cmd');
  });

  it('the image is the first argument after the flags, so a command cannot be read as a flag', () => {
    const argv = toDockerArgv(specOf('command: [--rm, -v, /:/host]\n'));
    const image = argv.indexOf('busybox:1');
    expect(argv.slice(0, image).every((a) => a.startsWith('-') || a === 'docker' || a === 'run')).toBe(true);
    expect(argv.slice(image + 1)).toEqual(['--rm', '-v', '/:/host']);
  });
});

describe('mounts', () => {
  it('--mount is CSV: a field with a comma or a quote is quoted', () => {
    const spec = specOf('filesystem:\n  mounts:\n    - { source: "/data/a,b", target: "/in/x\\"y" }\n    - { source: /plain, target: /p, readOnly: false }\n');
    const mounts = toDockerArgv(spec).filter((a) => a.startsWith('--mount='));
    expect(mounts).toEqual([
      '--mount=type=bind,"source=/data/a,b","target=/in/x""y",readonly',
      '--mount=type=bind,source=/plain,target=/p',
    ]);
    expect(toCreateBody(spec).HostConfig.Mounts).toEqual([
      { Type: 'bind', Source: '/data/a,b', Target: '/in/x"y', ReadOnly: true },
      { Type: 'bind', Source: '/plain', Target: '/p', ReadOnly: false },
    ]);
  });

  it('volumes', () => {
    const spec = specOf('filesystem:\n  mounts:\n    - { type: volume, source: vol, target: /v, readOnly: false }\n');
    expect(flag(toDockerArgv(spec), '--mount')).toBe('type=volume,source=vol,target=/v');
    expect(toCreateBody(spec).HostConfig.Mounts).toEqual([{ Type: 'volume', Source: 'vol', Target: '/v', ReadOnly: false }]);
  });
});

describe('tmpfs', () => {
  const spec = specOf('filesystem:\n  tmpfs:\n    - { path: /tmp, size: 64m }\n    - { path: /x, exec: true, size: 1g, mode: "1777" }\n    - { path: /nosize }\n');

  it('options: noexec,nosuid,nodev unless exec; size; mode', () => {
    expect(toDockerArgv(spec).filter((a) => a.startsWith('--tmpfs='))).toEqual([
      '--tmpfs=/tmp:rw,noexec,nosuid,nodev,size=64m',
      '--tmpfs=/x:rw,exec,nosuid,nodev,size=1g,mode=1777',
      '--tmpfs=/nosize:rw,noexec,nosuid,nodev',
    ]);
    expect(toCreateBody(spec).HostConfig.Tmpfs).toEqual({
      '/tmp': 'rw,noexec,nosuid,nodev,size=64m',
      '/x': 'rw,exec,nosuid,nodev,size=1g,mode=1777',
      '/nosize': 'rw,noexec,nosuid,nodev',
    });
  });

  it('an empty tmpfs list means no tmpfs', () => {
    const none = specOf('filesystem:\n  tmpfs: []\n');
    expect(toDockerArgv(none).some((a) => a.startsWith('--tmpfs'))).toBe(false);
    expect(toCreateBody(none).HostConfig.Tmpfs).toEqual({});
  });
});

describe('resource limits', () => {
  it.each([
    ['memory: 512m', { memory: '512m', swap: '512m' }, { Memory: 512 * 2 ** 20, MemorySwap: 512 * 2 ** 20 }],
    ['memory: 1g\n  memorySwap: 2g', { memory: '1g', swap: '2g' }, { Memory: 2 ** 30, MemorySwap: 2 ** 31 }],
    ['memory: 1g\n  memorySwap: -1', { memory: '1g', swap: '-1' }, { Memory: 2 ** 30, MemorySwap: -1 }],
    ['memory: 0', { memory: undefined, swap: undefined }, { Memory: 0, MemorySwap: 0 }],
    ['memory: 0\n  memorySwap: -1', { memory: undefined, swap: '-1' }, { Memory: 0, MemorySwap: -1 }],
    ['memory: 1000', { memory: '1000', swap: '1000' }, { Memory: 1000, MemorySwap: 1000 }],
  ])('%s', (yaml, cli, api) => {
    const spec = specOf(`resources:\n  ${yaml}\n`);
    const argv = toDockerArgv(spec);
    expect(flag(argv, '--memory')).toBe(cli.memory);
    expect(flag(argv, '--memory-swap')).toBe(cli.swap);
    expect(toCreateBody(spec).HostConfig).toMatchObject(api);
  });

  it.each([
    ['pids: -1', '-1', -1],
    ['pids: 0', '-1', -1],
    ['pids: 100', '100', 100],
  ])('%s', (yaml, cli, api) => {
    const spec = specOf(`resources:\n  ${yaml}\n`);
    expect(flag(toDockerArgv(spec), '--pids-limit')).toBe(cli);
    expect(toCreateBody(spec).HostConfig.PidsLimit).toBe(api);
  });

  it.each([
    ['cpus: 0', undefined, 0],
    ['cpus: 0.5', '0.5', 5e8],
    ['cpus: 1.5', '1.5', 1.5e9],
    ['cpus: 0.001', '0.001', 1e6],
    ['cpus: 3', '3', 3e9],
  ])('%s', (yaml, cli, api) => {
    const spec = specOf(`resources:\n  ${yaml}\n`);
    expect(flag(toDockerArgv(spec), '--cpus')).toBe(cli);
    expect(toCreateBody(spec).HostConfig.NanoCpus).toBe(api);
  });
});

describe('security and namespaces', () => {
  it('the hardened defaults in both emitters', () => {
    const spec = specOf('');
    const argv = toDockerArgv(spec);
    expect(argv.slice(0, 7)).toEqual(['docker', 'run', '--rm', '-i', '--pull=missing', '--runtime=runsc', '--network=none']);
    expect(argv).toEqual(expect.arrayContaining(['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges', '--init']));
    expect(toCreateBody(spec).HostConfig).toMatchObject({
      AutoRemove: true,
      Runtime: 'runsc',
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
    });
  });

  it('weakened settings are spelled out in both', () => {
    const spec = specOf(
      'runtime: runc\nnetwork: host\nnamespaces: { pid: host, ipc: host, uts: host, userns: host }\n' +
        'filesystem: { readOnlyRoot: false }\n' +
        'security: { capDrop: [NET_RAW], capAdd: [cap_chown], noNewPrivileges: false, seccomp: unconfined, init: false, privileged: true }\n'.replace('cap_chown', 'CAP_CHOWN'),
    );
    const argv = toDockerArgv(spec);
    expect(argv).toEqual(
      expect.arrayContaining(['--runtime=runc', '--network=host', '--pid=host', '--ipc=host', '--uts=host', '--userns=host', '--cap-drop=CAP_NET_RAW', '--cap-add=CAP_CHOWN', '--security-opt=seccomp=unconfined', '--privileged', '--init=false']),
    );
    expect(argv).not.toContain('--read-only');
    expect(argv).not.toContain('--security-opt=no-new-privileges');
    expect(toCreateBody(spec).HostConfig).toMatchObject({
      Runtime: 'runc',
      NetworkMode: 'host',
      PidMode: 'host',
      IpcMode: 'host',
      UTSMode: 'host',
      UsernsMode: 'host',
      ReadonlyRootfs: false,
      CapDrop: ['CAP_NET_RAW'],
      CapAdd: ['CAP_CHOWN'],
      SecurityOpt: ['seccomp=unconfined'],
      Privileged: true,
      Init: false,
    });
  });

  it('a seccomp file: its path for the CLI, its compact content for the API (as the CLI sends it)', () => {
    const spec = specOf('security:\n  seccomp: ./sec.json\n');
    expect(toDockerArgv(spec)).toContain('--security-opt=seccomp=/virtual/sec.json');
    expect(toCreateBody(spec).HostConfig.SecurityOpt).toEqual(['no-new-privileges', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']);
  });

  it.each([
    [[], ['ALL'], [], ['ALL']],
    [['net_bind_service', 'CAP_CHOWN', 'NET_BIND_SERVICE'], ['ALL'], ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'], ['ALL']],
    [['CHOWN'], ['CHOWN', 'NET_RAW'], ['CAP_CHOWN'], ['CAP_NET_RAW']],
    [['ALL', 'CHOWN'], ['ALL'], ['ALL'], []],
    [[], ['NET_RAW', 'ALL'], [], ['ALL']],
  ])('capabilities add %p drop %p are sent as the docker CLI sends them: add %p drop %p', (add, drop, capAdd, capDrop) => {
    expect(effectiveCapabilities(add, drop)).toEqual({ capAdd, capDrop });
  });

  it('a name in both env and secrets is passed as the secret only', () => {
    const spec = specOf('env: { TOKEN: literal, OTHER: x }\nsecrets: [TOKEN]\n');
    expect(toDockerArgv(spec).filter((a) => a.startsWith('--env='))).toEqual(['--env=OTHER=x', '--env=TOKEN']);
    expect(toCreateBody(spec, { secretValues: { TOKEN: 's' } }).Env).toEqual(['OTHER=x', 'TOKEN=s']);
  });

  it('user, workdir, env and labels', () => {
    const spec = specOf('user: 1000\nworkdir: /app\nenv: { B: "2", A: "x=y" }\nlabels: { z.last: "1", a.first: "2" }\n');
    const argv = toDockerArgv(spec);
    expect(flag(argv, '--user')).toBe('1000');
    expect(flag(argv, '--workdir')).toBe('/app');
    // Sorted, so the argv is deterministic whatever the key order in the file.
    expect(argv.filter((a) => a.startsWith('--env='))).toEqual(['--env=A=x=y', '--env=B=2']);
    expect(argv.filter((a) => a.startsWith('--label='))).toEqual(['--label=a.first=2', '--label=mcp-sandbox.profile=t', '--label=z.last=1']);
    const body = toCreateBody(spec);
    expect(body).toMatchObject({ User: '1000', WorkingDir: '/app', Env: ['A=x=y', 'B=2'] });
    expect(Object.keys(body.Labels)).toEqual(['a.first', 'mcp-sandbox.profile', 'z.last']);
    expect(body).toMatchObject({ OpenStdin: true, StdinOnce: true, AttachStdin: true, Tty: false });
  });
});

describe('shell quoting', () => {
  const awkward = ['plain', '', ' ', "it's", 'a"b', '$HOME', '`id`', '$(id)', 'a\\b', 'new\nline', 'tab\there', '*', '!x', ';rm -rf /', 'ünï', '--x=a b'];

  it('round-trips through shlex.split for awkward arguments', () => {
    const argv = toDockerArgv(specOf(`command: ${JSON.stringify(awkward)}\nenv: { WEIRD: "a b'c\\"d $e" }\n`));
    expect(split(toShellCommand(argv))).toEqual(argv);
  });

  it('round-trips the kitchen-sink fixture', () => {
    const { spec } = compileFile(path.join(REPO, 'test/fixtures/profile/valid/kitchen-sink.yaml'));
    const argv = toDockerArgv(spec);
    expect(split(toShellCommand(argv))).toEqual(argv);
    expect(toShellCommand(argv)).toMatch(/^docker run --rm -i /);
  });

  it('leaves plain arguments unquoted', () => {
    expect(toShellCommand(['docker', 'run', '--network=none', '--tmpfs=/tmp:rw,noexec'])).toBe('docker run --network=none --tmpfs=/tmp:rw,noexec');
  });
});
