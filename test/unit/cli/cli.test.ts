/**
 * The built CLI as a user runs it: `node bin/mcp-sandbox.js …` after `npm run build`.
 * Checks output lines, exit codes (0 ok, 1 invalid, 2 usage) and that stack traces appear only
 * with --debug. Every run gets a clean environment (fixed HOME, no MCP_* variables).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { split } from 'shlex';
import { toDockerArgv } from '../../../src/compile/docker-argv.js';
import { toCreateBody } from '../../../src/compile/engine-body.js';
import { toK8sManifests, toK8sYaml } from '../../../src/compile/k8s.js';
import { k8sEgressOf } from '../../../src/egress/k8s.js';
import { renderSetEngine, renderSetShell } from '../../../src/egress/render-set.js';
import type { SandboxSpec } from '../../../src/compile/spec.js';
import { REPO, compileFile, shippedProfiles } from '../compile/shipped.js';

const BIN = path.join(REPO, 'bin/mcp-sandbox.js');
const INVALID = path.join(REPO, 'test/fixtures/profile/invalid');
const STACK = /^\s+at .+[:)]/m;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;

function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Result {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    // The postgres profile's allowlist names its database host in POSTGRES_HOST.
    env: { PATH: process.env.PATH, HOME: home, POSTGRES_HOST: 'db.example.com', ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

beforeAll(() => {
  // The bundle is what users run; build it from the current sources.
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  home = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-cli-home-'));
}, 60_000);

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('validate', () => {
  it('prints one ok line per valid file and exits 0', () => {
    const files = shippedProfiles().map((p) => path.relative(REPO, p.file));
    const r = cli(['validate', ...files]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(shippedProfiles().map((p) => `ok  profiles/${path.basename(p.file)} (${p.name})`));
    expect(r.stderr).toBe('');
  });

  it('accepts profile names', () => {
    const r = cli(['validate', 'everything', 'memory']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(['ok  profiles/everything.yaml (everything)', 'ok  profiles/memory.yaml (memory)']);
  });

  it('an invalid profile: the one expected line on stderr, exit 1, no stack trace', () => {
    const r = cli(['validate', 'unknown-nested-key.yaml'], { cwd: INVALID });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['unknown-nested-key.yaml:6:3: unknown key "memroy" in resources (did you mean "memory"?)']);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('several files: one line each, in order, exit 1 when any is invalid', () => {
    const r = cli(['validate', path.join(REPO, 'profiles/memory.yaml'), 'bad-name.yaml', 'wrong-version.yaml'], { cwd: INVALID });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([`ok  ${path.join(REPO, 'profiles/memory.yaml')} (memory)`]);
    expect(lines(r.stderr)).toHaveLength(2);
    expect(lines(r.stderr)[0]).toMatch(/^bad-name\.yaml:3:7: name "My_Server" is not valid/);
    expect(lines(r.stderr)[1]).toBe('wrong-version.yaml:2:10: version must be 1, got number 2');
  });

  it('a missing profile file is a usage error: exit 2', () => {
    const r = cli(['validate', 'no/such/profile.yaml']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['profile file no/such/profile.yaml does not exist (pass a path to a .yaml profile or a profile name)']);
  });

  it('a missing file among invalid ones still exits 2', () => {
    const r = cli(['validate', 'bad-name.yaml', 'nope.yaml'], { cwd: INVALID });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(2);
  });

  it('--debug adds a stack trace', () => {
    const r = cli(['--debug', 'validate', 'bad-name.yaml'], { cwd: INVALID });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)[0]).toMatch(/^bad-name\.yaml:3:7: /);
    expect(r.stderr).toMatch(STACK);
  });

  it('no argument is a usage error', () => {
    const r = cli(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument/);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('run enforces the lint verdict', () => {
  const DANGEROUS = 'test/fixtures/lint/enforce/dangerous.yaml';

  it('refuses a privileged, root, runc, host-namespace, docker.sock profile at --dry-run: exit 1, one line per finding, nothing on stdout', () => {
    const r = cli(['run', DANGEROUS, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const out = lines(r.stderr);
    expect(out[0]).toMatch(/^mcp-sandbox: refused to run "enforce-dangerous": 7 lint errors \(MS402, MS101, MS202, MS103, MS104, MS102, MS301\)/);
    expect(out.slice(1).map((l) => l.trim().split(' ').slice(0, 2).join(' '))).toEqual([
      `${DANGEROUS}:5:7: MS402`,
      `${DANGEROUS}:6:10: MS101`,
      `${DANGEROUS}:7:10: MS202`,
      `${DANGEROUS}:9:8: MS103`,
      `${DANGEROUS}:10:8: MS104`,
      `${DANGEROUS}:12:15: MS102`,
      `${DANGEROUS}:15:15: MS301`,
    ]);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('lets the justified variant through, and the shipped filesystem profile unless MCP_WORKSPACE=/', () => {
    expect(cli(['run', 'test/fixtures/lint/enforce/justified.yaml', '--dry-run']).code).toBe(0);
    expect(cli(['run', 'profiles/filesystem.yaml', '--dry-run'], { env: { MCP_WORKSPACE: path.join(home, 'project') } }).code).toBe(0);
    const root = cli(['run', 'profiles/filesystem.yaml', '--dry-run'], { env: { MCP_WORKSPACE: '/' } });
    expect(root.code).toBe(1);
    expect(root.stderr).toContain('profiles/filesystem.yaml:14:15: MS301 mount source / is sensitive: it is the host root filesystem');
  });
});

describe('run --dry-run of an allowlisted profile', () => {
  it('shows the egress set\'s bodies beside the server\'s, whose network mode names the set\'s holder', () => {
    // The allowlist needs a runtime with a network stack (the engine's runsc has --network=none).
    const config = path.join(home, 'egress-config.yaml');
    writeFileSync(config, 'runtimes: { runsc: { none: runsc, bridge: runsc-net } }\n');
    const r = cli(['run', 'profiles/fetch.yaml', '--dry-run'], { env: { MCP_SANDBOX_CONFIG: config } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { create: { HostConfig: { NetworkMode: string }; Env: string[] }; egress: { names: Record<string, string>; dns: { Env: string[] }; proxy: { Env: string[] } } };
    expect(plan.create.HostConfig.NetworkMode).toBe(`container:${plan.egress.names.dns}`);
    expect(plan.create.Env).toContain('HTTPS_PROXY=http://127.0.0.11:3128');
    expect(plan.egress.dns.Env.find((e) => e.startsWith('EGRESS_CONFIG='))).toContain('address=/#/198.18.0.1');
    expect(plan.egress.proxy.Env.find((e) => e.startsWith('EGRESS_CONFIG='))).toContain('frontend listen_10000');
  });
});

describe('desktop --install from parallel processes', () => {
  const PROFILE = (name: string): string =>
    `version: 1\nname: ${name}\nimage: mcp/fixture:1.0.0@sha256:${'ab'.repeat(32)}\nuser: "10001:10001"\n`;

  it('10 installs of different profiles into one config all survive, 3 times over', async () => {
    const { spawn } = await import('node:child_process');
    const work = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-parallel-'));
    try {
      const names = Array.from({ length: 10 }, (_, i) => `parallel-${i}`);
      for (const name of names) writeFileSync(path.join(work, `${name}.yaml`), PROFILE(name));
      for (let round = 0; round < 3; round++) {
        const config = path.join(work, `round-${round}`, 'claude_desktop_config.json');
        mkdirSync(path.dirname(config));
        writeFileSync(config, '{\n  "mcpServers": {\n    "theirs": {"command": "docker", "args": ["run", "x"]}\n  }\n}\n');
        const codes = await Promise.all(
          names.map(
            (name) =>
              new Promise<number | null>((resolve) => {
                const child = spawn(process.execPath, [BIN, 'desktop', path.join(work, `${name}.yaml`), '--install', '--config-path', config], {
                  env: { PATH: process.env.PATH, HOME: home },
                  stdio: 'ignore',
                });
                child.on('exit', (code) => resolve(code));
              }),
          ),
        );
        expect(codes).toEqual(names.map(() => 0));
        const servers = Object.keys((JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: Record<string, unknown> }).mcpServers).sort();
        expect(servers).toEqual(['theirs', ...names].sort());
        expect(readdirSync(path.dirname(config)).filter((f) => f.includes('.lock') || f.includes('.tmp-'))).toEqual([]);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('usage errors', () => {
  it('an unknown option exits 2', () => {
    const r = cli(['validate', '--frobnicate', 'profiles/memory.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('an unknown command exits 2', () => {
    expect(cli(['frobnicate']).code).toBe(2);
  });

  it('an unknown render format exits 2', () => {
    const r = cli(['render', 'memory', '--format', 'yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are shell, json, desktop, engine/);
  });

  it('render --serve without --format k8s exits 2 with one line', () => {
    const r = cli(['render', 'memory', '--serve']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual(['mcp-sandbox: --serve only applies to --format k8s (add --format k8s)']);
  });

  it('render --format k8s --serve prints the serve objects, with --serve-image', () => {
    const r = cli(['render', 'memory', '--format', 'k8s', '--serve', '--serve-image', 'registry.example/mcp-sandbox:1'], { env: { HOME: '/home/user' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kind: Deployment$/m);
    expect(r.stdout).toContain('image: registry.example/mcp-sandbox:1');
    expect(r.stdout).not.toMatch(/^kind: Pod$/m);
  });

  it('--help and --version exit 0', () => {
    expect(cli(['--help']).code).toBe(0);
    const v = cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('render', () => {
  // The goldens are rendered with HOME=/home/user and no MCP_* variables; so is this.
  const fixedHome = { HOME: '/home/user' };
  // What the library renders in-process, with the same fixed environment (the goldens pin that).
  const byName = new Map(shippedProfiles().map((p) => [p.name, compileFile(p.file).spec]));
  const golden = (name: string, kind: 'argv' | 'body'): string => {
    const spec = byName.get(name) as SandboxSpec;
    return JSON.stringify(kind === 'argv' ? toDockerArgv(spec) : toCreateBody(spec));
  };

  describe.each(shippedProfiles().map((p) => p.name))('%s', (name) => {
    it('--format json prints the argv', () => {
      const r = cli(['render', name, '--format', 'json'], { env: fixedHome });
      expect(r.code).toBe(0);
      expect(lines(r.stdout)).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(golden(name, 'argv')));
    });

    it('--format shell (the default) prints one line that splits back into the argv', () => {
      const r = cli(['render', name], { env: fixedHome });
      expect(r.code).toBe(0);
      const spec = byName.get(name) as SandboxSpec;
      if (spec.network === 'allow') {
        // The whole egress set, then the server's line, then how to remove the set.
        expect(r.stdout).toBe(`${renderSetShell(spec).join('\n')}\n`);
        const serverLine = lines(r.stdout).find((l) => l.startsWith('docker run --rm -i ')) as string;
        expect(split(serverLine)).toEqual(JSON.parse(golden(name, 'argv')));
        return;
      }
      expect(lines(r.stdout)).toHaveLength(1);
      expect(split(r.stdout.trim())).toEqual(JSON.parse(golden(name, 'argv')));
      expect(cli(['render', name, '-f', 'shell'], { env: fixedHome }).stdout).toBe(r.stdout);
    });

    it('--format desktop prints an mcpServers entry running docker directly', () => {
      const r = cli(['render', name, '--format', 'desktop'], { env: fixedHome });
      expect(r.code).toBe(0);
      const argv = JSON.parse(golden(name, 'argv')) as string[];
      expect(JSON.parse(r.stdout)).toEqual({ mcpServers: { [name]: { command: 'docker', args: argv.slice(1) } } });
    });

    it('--format k8s prints the Kubernetes manifests the emitter renders (and golden.test.ts pins)', () => {
      const r = cli(['render', name, '--format', 'k8s'], { env: fixedHome });
      expect(r.code).toBe(0);
      const { loaded, spec } = compileFile(shippedProfiles().find((p) => p.name === name)!.file);
      expect(r.stdout).toBe(toK8sYaml(toK8sManifests(spec, { justifications: loaded.profile.justifications, egress: k8sEgressOf(spec) })));
    });

    it('--format engine prints the create body', () => {
      const r = cli(['render', name, '--format', 'engine'], { env: fixedHome });
      expect(r.code).toBe(0);
      const spec = byName.get(name) as SandboxSpec;
      if (spec.network === 'allow') expect(JSON.parse(r.stdout)).toEqual({ ...JSON.parse(JSON.stringify(renderSetEngine(spec))), server: JSON.parse(golden(name, 'body')) });
      else expect(JSON.parse(r.stdout)).toEqual(JSON.parse(golden(name, 'body')));
    });
  });

  it('never prints a secret value, even when it is set', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-cli-'));
    try {
      writeFileSync(path.join(dir, 's.yaml'), 'version: 1\nname: s\nimage: busybox:1\nsecrets: [GITHUB_TOKEN]\n');
      for (const format of ['shell', 'json', 'desktop', 'engine', 'k8s']) {
        const r = cli(['render', 's.yaml', '-f', format], { cwd: dir, env: { GITHUB_TOKEN: 'ghp_topsecret' } });
        expect(r.code).toBe(0);
        expect(r.stdout).not.toContain('ghp_topsecret');
        if (format === 'k8s') expect(r.stdout).toContain('secretKeyRef');
        else if (format !== 'engine') expect(r.stdout).toContain('--env=GITHUB_TOKEN');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--egress-ip sets the egress proxy Service address the sandbox Pod resolves through; refused when not IPv4 or without --format k8s', () => {
    const r = cli(['render', 'fetch', '--format', 'k8s', '--egress-ip', '10.100.3.4'], { env: fixedHome });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nameservers:\n {6}- 10\.100\.3\.4\n/);
    expect(r.stdout).toMatch(/clusterIP: 10\.100\.3\.4\n/);
    expect(r.stdout).not.toContain('10.96.0.53');
    const bad = cli(['render', 'fetch', '--format', 'k8s', '--egress-ip', 'proxy.local'], { env: fixedHome });
    expect({ code: bad.code, stdout: bad.stdout }).toEqual({ code: 2, stdout: '' });
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/--egress-ip "proxy.local" is not an IPv4 address/)]);
    const wrong = cli(['render', 'fetch', '--egress-ip', '10.100.3.4'], { env: fixedHome });
    expect(wrong.code).toBe(2);
    expect(lines(wrong.stderr)).toEqual(['mcp-sandbox: --egress-ip only applies to --format k8s (add --format k8s)']);
  });

  it('an invalid profile exits 1 with one line and prints nothing on stdout', () => {
    const r = cli(['render', path.join(INVALID, 'bad-unit.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toEqual([
      `mcp-sandbox: test/fixtures/profile/invalid/bad-unit.yaml:6:11: resources.memory "512mb" is not valid (expected a size such as 512m (units b, k, m, g))`,
    ]);
  });

  it('an unknown profile name exits 2 and lists where it looked', () => {
    const r = cli(['render', 'no-such-profile']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`no profile named "no-such-profile" in ${path.join(home, '.config/mcp-sandbox/profiles')}, ${path.join(REPO, 'profiles')}`);
    expect(r.stderr).not.toMatch(STACK);
  });
});

describe('profile name lookup', () => {
  let root: string;
  const write = (dir: string, name: string, image: string): void => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.yaml`), `version: 1\nname: ${name}\nimage: ${image}\n`);
  };
  const image = (r: Result): string => {
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as string[]).find((a) => a.startsWith('lookup/')) as string;
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-lookup-'));
    write(path.join(root, 'cwd/profiles'), 'shadowed', 'lookup/cwd:1');
    write(path.join(root, 'path-a'), 'shadowed', 'lookup/path-a:1');
    write(path.join(root, 'path-a'), 'only-path', 'lookup/path-a:1');
    write(path.join(root, 'path-b'), 'only-path', 'lookup/path-b:1');
    write(path.join(root, 'path-b'), 'in-b', 'lookup/path-b:1');
    write(path.join(root, 'home/.config/mcp-sandbox/profiles'), 'only-path', 'lookup/home:1');
    write(path.join(root, 'home/.config/mcp-sandbox/profiles'), 'only-home', 'lookup/home:1');
    // A .yml file is found too.
    mkdirSync(path.join(root, 'path-b'), { recursive: true });
    copyFileSync(path.join(root, 'path-b/in-b.yaml'), path.join(root, 'path-b/yml-ext.yml'));
    writeFileSync(path.join(root, 'path-b/yml-ext.yml'), 'version: 1\nname: yml-ext\nimage: lookup/yml:1\n');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const run = (name: string, extra: NodeJS.ProcessEnv = {}): Result =>
    cli(['render', name, '-f', 'json'], {
      cwd: path.join(root, 'cwd'),
      env: { HOME: path.join(root, 'home'), MCP_SANDBOX_PROFILE_PATH: [path.join(root, 'path-a'), path.join(root, 'path-b')].join(path.delimiter), ...extra },
    });

  it('a directory the user chose wins over ./profiles (a cloned repo cannot shadow it)', () => {
    expect(image(run('shadowed'))).toBe('lookup/path-a:1');
    expect(image(run('shadowed', { MCP_SANDBOX_PROFILE_PATH: '' }))).toBe('lookup/cwd:1');
  });

  it('each directory of MCP_SANDBOX_PROFILE_PATH, in order', () => {
    expect(image(run('only-path'))).toBe('lookup/path-a:1');
    expect(image(run('in-b'))).toBe('lookup/path-b:1');
    expect(image(run('yml-ext'))).toBe('lookup/yml:1');
  });

  it('then ~/.config/mcp-sandbox/profiles', () => {
    expect(image(run('only-home'))).toBe('lookup/home:1');
    expect(image(run('only-path', { MCP_SANDBOX_PROFILE_PATH: '' }))).toBe('lookup/home:1');
  });

  it('validate finds names the same way', () => {
    const r = cli(['validate', 'only-home', 'shadowed'], { cwd: path.join(root, 'cwd'), env: { HOME: path.join(root, 'home') } });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      `ok  ${path.join(root, 'home/.config/mcp-sandbox/profiles/only-home.yaml')} (only-home)`,
      'ok  profiles/shadowed.yaml (shadowed)',
    ]);
  });
});
