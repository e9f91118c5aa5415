/**
 * Parity on the real engine: the docker CLI argv and the Engine API body are two spellings of
 * one SandboxSpec, so the containers they create must be the same in every field that matters
 * for isolation. For every shipped profile (and a fixture that uses every key):
 *   1. `docker create` from the rendered argv (`run` -> `create`, everything else kept);
 *   2. a create through the project's own Engine API client (connectEngine) from toCreateBody(spec);
 *   3. inspect both through that client and compare the security-relevant fields.
 *
 * Images: the profile's image is tagged from a local test image when it is missing (and the
 * tag removed afterwards); create never starts anything, so any image will do.
 * With CI=true a missing engine fails the suite; elsewhere it is skipped with a message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toDockerArgv } from '../../src/compile/docker-argv.js';
import { toCreateBody } from '../../src/compile/engine-body.js';
import type { SandboxSpec } from '../../src/compile/spec.js';
import { connectEngine } from '../../src/engine/connect.js';
import { REPO, compileFile, shippedProfiles } from '../unit/compile/shipped.js';

const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const TEST_IMAGES = [
  process.env.MCP_SANDBOX_TEST_BUSYBOX_IMAGE ?? 'mcp-sandbox-test/busybox:local',
  process.env.MCP_SANDBOX_TEST_NODE_IMAGE ?? 'mcp-sandbox-test/node:local',
];

function docker(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

/** Why the engine tests cannot run, or undefined when they can. */
function engineProblem(): string | undefined {
  const info = docker(['info', '--format', '{{json .Runtimes}}']);
  if (info.status !== 0) return `docker info failed: ${info.stderr.trim().split('\n')[0] ?? ''} (run scripts/engine-up.sh)`;
  if (!info.stdout.includes('"runsc"')) return 'runtime runsc is not registered with the engine (run scripts/engine-up.sh)';
  if (!TEST_IMAGES.some((image) => docker(['image', 'inspect', image]).status === 0)) {
    return `none of ${TEST_IMAGES.join(', ')} exists (run scripts/build-test-images.sh)`;
  }
  return undefined;
}

const problem = engineProblem();
if (problem && !IN_CI) process.stderr.write(`parity.test: skipped: ${problem}\n`);

const cases = [
  ...shippedProfiles(),
  // Every key of the format: seccomp file, capAdd, entrypoint, a comma in a mount source, …
  { name: 'kitchen-sink (fixture)', file: path.join(REPO, 'test/fixtures/profile/valid/kitchen-sink.yaml') },
];

const SECRET_VALUE = 'parity-secret-value';

/** The fields of `docker inspect` that decide what the container can do. */
interface Inspect {
  Config: { Env?: string[] | null; Labels?: Record<string, string> | null; Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string; WorkingDir?: string; OpenStdin?: boolean; StdinOnce?: boolean; AttachStdin?: boolean; Tty?: boolean; Image?: string };
  HostConfig: Record<string, unknown>;
  Name?: string;
}

const HOST_FIELDS = [
  'Runtime',
  'NetworkMode',
  'ReadonlyRootfs',
  'Tmpfs',
  'Memory',
  'MemorySwap',
  'NanoCpus',
  'CpuQuota',
  'CpuPeriod',
  'PidsLimit',
  'CapDrop',
  'CapAdd',
  'SecurityOpt',
  'Init',
  'Mounts',
  'Binds',
  'Privileged',
  'PidMode',
  'IpcMode',
  'UTSMode',
  'UsernsMode',
  'AutoRemove',
  'Devices',
  'ExtraHosts',
] as const;

/** An empty list and no list mean the same to the engine (CapAdd, Devices): compare them as null. */
function orNull(value: unknown): unknown {
  return value === undefined || (Array.isArray(value) && value.length === 0) ? null : value;
}

function securityView(inspect: Inspect): Record<string, unknown> {
  const host = Object.fromEntries(HOST_FIELDS.map((f) => [f, orNull(inspect.HostConfig[f])]));
  return {
    ...host,
    User: inspect.Config.User ?? '',
    WorkingDir: inspect.Config.WorkingDir ?? '',
    // The docker CLI passes --env through a map, so its order is arbitrary; compare as a set.
    EnvNames: (inspect.Config.Env ?? []).map((e) => e.split('=')[0]).sort(),
    Labels: inspect.Config.Labels ?? {},
    Entrypoint: inspect.Config.Entrypoint ?? null,
    Cmd: inspect.Config.Cmd ?? null,
    Image: inspect.Config.Image,
    OpenStdin: inspect.Config.OpenStdin,
    StdinOnce: inspect.Config.StdinOnce,
    Tty: inspect.Config.Tty,
  };
}

function imageId(image: string): string | undefined {
  const r = docker(['image', 'inspect', '--format', '{{.Id}}', image]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}


(problem && !IN_CI ? describe.skip : describe)('argv and create body make identical containers', () => {
  let home: string;
  const engine = connectEngine();
  const inspect = async (id: string): Promise<Inspect> => (await engine.inspectContainer(id)) as unknown as Inspect;
  const cleanup: Array<() => void> = [];
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  beforeAll(() => {
    if (problem) throw new Error(`engine tests cannot run: ${problem} (CI=true: not skipping)`);
    home = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-parity-'));
  });

  afterAll(() => {
    // Last in, first out: containers before the image tags they use.
    for (const undo of cleanup.reverse()) {
      try {
        undo();
      } catch {
        // best effort
      }
    }
    if (home) rmSync(home, { recursive: true, force: true });
    engine.close();
  });

  /** Makes the profile's image exist locally without replacing a real one. */
  function ensureImage(image: string): void {
    if (docker(['image', 'inspect', image]).status === 0) return;
    const source = TEST_IMAGES.find((i) => docker(['image', 'inspect', i]).status === 0) as string;
    const tag = docker(['tag', source, image]);
    if (tag.status !== 0) throw new Error(`docker tag ${source} ${image}: ${tag.stderr}`);
    const id = imageId(source);
    // Untag only if the name still means our stand-in: a concurrent `mcp-sandbox build` test
    // may have built the real image under this name meanwhile.
    cleanup.push(() => {
      if (id !== undefined && imageId(image) === id) docker(['rmi', '--no-prune', image]);
    });
  }

  /** Bind sources must exist for create to succeed; named volumes made here are removed after. */
  function prepareMounts(spec: SandboxSpec): void {
    for (const m of spec.mounts) {
      if (m.type === 'bind') {
        mkdirSync(m.source, { recursive: true });
      } else if (docker(['volume', 'inspect', m.source]).status !== 0) {
        cleanup.push(() => docker(['volume', 'rm', '-f', m.source]));
      }
    }
  }

  it.each(cases)('$name', async ({ name, file }) => {
    const env: NodeJS.ProcessEnv = { HOME: home, MCP_WORKSPACE: path.join(home, 'workspace'), MCP_GIT_REPO: path.join(home, 'repo') };
    const { spec } = compileFile(file, env, home);
    ensureImage(spec.image);
    prepareMounts(spec);
    const secretValues = Object.fromEntries(spec.secrets.map((s) => [s, `${SECRET_VALUE}-${s}`]));
    const label = name.replace(/[^a-z0-9-]/g, '-');

    // 1. The docker CLI, from the rendered argv: only `run` becomes `create`, plus a name.
    const argv = toDockerArgv(spec);
    expect(argv.slice(0, 2)).toEqual(['docker', 'run']);
    const cliName = `parity-cli-${label}-${suffix}`;
    const created = docker(['create', `--name=${cliName}`, ...argv.slice(2)], { ...process.env, ...secretValues });
    if (created.status !== 0) throw new Error(`docker create failed for ${name}: ${created.stderr.trim()}`);
    const cliId = created.stdout.trim();
    cleanup.push(() => docker(['rm', '-f', cliId]));

    // 2. The Engine API, from the body.
    const apiName = `parity-api-${label}-${suffix}`;
    const container = await engine.createContainer(toCreateBody(spec, { secretValues }), apiName);
    cleanup.push(() => docker(['rm', '-f', container.id]));

    // 3. Same container, field by field.
    const fromCli = await inspect(cliId);
    const fromApi = await inspect(container.id);
    expect(fromApi.Name).toBe(`/${apiName}`);
    expect(securityView(fromApi)).toEqual(securityView(fromCli));
    // Secret values arrive in both, and nowhere else but the environment.
    for (const [secret, value] of Object.entries(secretValues)) {
      expect(fromCli.Config.Env).toContain(`${secret}=${value}`);
      expect(fromApi.Config.Env).toContain(`${secret}=${value}`);
    }
    // And the hardening is really there, not just equal.
    // An allowlisted server joins its egress set's holder (src/egress/); the others keep their mode.
    const networkMode = spec.network === 'allow' ? toCreateBody(spec).HostConfig.NetworkMode : spec.network;
    expect(networkMode).toMatch(spec.network === 'allow' ? /^container:mcp-sandbox-egress-/ : /^(none|bridge|host)$/);
    expect(fromCli.HostConfig).toMatchObject({ Runtime: spec.runtime, NetworkMode: networkMode, ReadonlyRootfs: spec.readOnlyRoot, CapDrop: expect.arrayContaining(['ALL']) });
  }, 120_000);
});
