/**
 * setup's planning and flow against a fake host and engine: the dry-run account (diffs and
 * commands, nothing written), root and confirmation rules, idempotence, and what it says on
 * platforms it does not configure. The real engine path is test/engine/setup.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Check } from '../../../src/doctor/checks.js';
import { EngineConnectionError, type EngineClient, type EngineInfo } from '../../../src/engine/client.js';
import { SandboxError } from '../../../src/errors.js';
import { mergeRuntimes } from '../../../src/setup/daemon-json.js';
import type { CommandResult, Host } from '../../../src/setup/host.js';
import { makePlan } from '../../../src/setup/plan.js';
import { runSetup, type SetupOptions } from '../../../src/setup/setup.js';
import { addNetworkMapping } from '../../../src/setup/user-config.js';

interface World {
  dir: string;
  env: NodeJS.ProcessEnv;
  daemonJson: string;
  config: string;
  commands: string[][];
}

function world(): World {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-setup-unit-'));
  const daemonJson = path.join(dir, 'etc', 'daemon.json');
  const config = path.join(dir, 'home', 'config.yaml');
  const env = { MCP_SANDBOX_DAEMON_JSON: daemonJson, DOCKER_HOST: `unix://${dir}/docker.sock`, MCP_SANDBOX_CONFIG: config, MCP_SANDBOX_DOCKERD_LOG: path.join(dir, 'dockerd.log'), PATH: '/nonexistent' };
  return { dir, env, daemonJson, config, commands: [] };
}

function fakeHost(w: World, options: { uid?: number; kernel?: string; runsc?: string | null; version?: string; platform?: NodeJS.Platform; aptKnows?: boolean; candidate?: string } = {}): Host {
  const bins: Record<string, string | undefined> = {
    runsc: options.runsc === null ? undefined : (options.runsc ?? '/usr/bin/runsc'),
    dockerd: '/usr/sbin/dockerd',
    'apt-get': '/usr/bin/apt-get',
  };
  return {
    platform: options.platform ?? 'linux',
    uid: options.uid ?? 0,
    kernel: options.kernel ?? '6.18.44-fc-v1045',
    which: (name) => bins[name],
    readFile: () => undefined,
    async run(argv): Promise<CommandResult> {
      w.commands.push([...argv]);
      if (argv[1] === '--version') return { code: 0, stdout: `${options.version ?? 'runsc version 0.0~20221219.0'}\nspec: 1.0.2-dev\n`, stderr: '' };
      if (argv[0] === 'apt-cache') {
        return options.aptKnows === false
          ? { code: 0, stdout: 'runsc:\n  Installed: (none)\n  Candidate: (none)\n', stderr: '' }
          : { code: 0, stdout: `runsc:\n  Installed: (none)\n  Candidate: ${options.candidate ?? '0.0~20221219.0+ds1-2'}\n`, stderr: '' };
      }
      return { code: 1, stdout: '', stderr: 'not scripted' };
    },
  };
}

function fakeEngine(state: { up: boolean; runtimes?: EngineInfo['Runtimes'] }): EngineClient {
  const down = (): never => {
    throw new EngineConnectionError('unix:///x', 'ENOENT');
  };
  const unused = (): never => {
    throw new Error('not used by setup');
  };
  return {
    endpoint: { kind: 'unix', socketPath: '/x', source: 'test' },
    ping: async () => (state.up ? undefined : down()),
    version: async () => (state.up ? { Version: '20.10.24', ApiVersion: '1.41' } : down()),
    info: async () => (state.up ? { Runtimes: state.runtimes ?? {} } : down()),
    createContainer: unused,
    attach: unused,
    wait: unused,
    start: unused,
    stop: unused,
    events: unused,
    kill: unused,
    remove: unused,
    inspectContainer: unused,
    listContainers: unused,
    inspectImage: unused,
    pullImage: unused,
    close: () => undefined,
    rename: unused,
  };
}

const OK: Check[] = [{ status: 'ok', id: 'engine', message: 'engine reachable' }];
const QUIRK_RUNTIMES = { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] }, 'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] } };

function options(w: World, host: Host, engine: EngineClient, extra: Partial<SetupOptions> = {}): SetupOptions & { lines: string[]; doctorRuns: number } {
  const lines: string[] = [];
  const result = {
    dryRun: false,
    yes: true,
    env: w.env,
    host,
    engine,
    out: (line: string) => lines.push(line),
    doctor: async () => {
      result.doctorRuns += 1;
      return OK;
    },
    lines,
    doctorRuns: 0,
    ...extra,
  };
  return result;
}

async function rejection(promise: Promise<unknown>): Promise<SandboxError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error('expected a SandboxError');
}

/** daemon.json and the user config as a finished setup leaves them. */
function setUp(w: World): void {
  const merged = mergeRuntimes(w.daemonJson, '', { runsc: { path: '/usr/bin/runsc', network: 'none' }, 'runsc-net': { path: '/usr/bin/runsc', network: 'host' } });
  mkdirSync(path.dirname(w.daemonJson), { recursive: true });
  writeFileSync(w.daemonJson, merged.text);
  mkdirSync(path.dirname(w.config), { recursive: true });
  writeFileSync(w.config, addNetworkMapping(w.config, undefined).text);
}

describe('setup --dry-run', () => {
  it('from nothing: the diff of each file and each command, and nothing written or run', async () => {
    const w = world();
    const o = options(w, fakeHost(w), fakeEngine({ up: false }), { dryRun: true });
    expect(await runSetup(o)).toBe(0);
    const text = o.lines.join('\n');
    expect(text).toContain(`would create ${w.daemonJson} (dockerd config):`);
    expect(text).toContain('--- /dev/null');
    expect(text).toContain('+      "runtimeArgs": [\n+        "--network=none"');
    expect(text).toContain(`would create ${w.config} (mcp-sandbox user config (runtime mapping)):`);
    expect(text).toContain('+  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }');
    expect(text).toContain(`would run: /usr/sbin/dockerd --config-file ${w.daemonJson} -H unix://${w.dir}/docker.sock    # start dockerd in the background`);
    expect(text).toContain('would run: mcp-sandbox doctor');
    expect(text).toMatch(/gVisor#10704/);
    expect(text).toMatch(/`runsc-net` with --network=host/);
    expect(o.lines[o.lines.length - 1]).toBe('setup: dry run: nothing was changed');
    expect(existsSync(w.daemonJson)).toBe(false);
    expect(existsSync(w.config)).toBe(false);
    expect(w.commands.every((c) => c[1] === '--version')).toBe(true);
    expect(o.doctorRuns).toBe(0);
  });

  it('runsc missing: the apt-get commands, with an update when apt does not know the package', async () => {
    const w = world();
    const o = options(w, fakeHost(w, { runsc: null, aptKnows: false }), fakeEngine({ up: false }), { dryRun: true });
    await runSetup(o);
    const text = o.lines.join('\n');
    expect(text).toContain('missing: runsc');
    expect(text).toContain('would run: DEBIAN_FRONTEND=noninteractive apt-get update');
    expect(text).toContain('would run: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runsc');
    expect(w.commands.some((c) => c[0] === 'apt-get')).toBe(false);
  });

  it('runsc missing: the version apt would install decides the runtimes (no quirk for a new release)', async () => {
    const w = world();
    const plan = await makePlan(fakeHost(w, { runsc: null, candidate: '20250512.0-1' }), w.env, fakeEngine({ up: false }));
    expect(plan.installs.map((c) => c.argv.join(' '))).toEqual(['apt-get install -y --no-install-recommends runsc']);
    expect(plan.wanted.runsc?.network).toBeUndefined();
    expect(plan.userConfig).toBeUndefined();
  });
});

describe('setup', () => {
  it('a second run finds nothing to change, writes nothing and only runs doctor', async () => {
    const w = world();
    setUp(w);
    const before = [readFileSync(w.daemonJson, 'utf8'), readFileSync(w.config, 'utf8')];
    const o = options(w, fakeHost(w, { uid: 1000 }), fakeEngine({ up: true, runtimes: QUIRK_RUNTIMES }));
    expect(await runSetup(o)).toBe(0);
    expect(o.lines).toContain('setup: nothing to change: runsc, daemon.json, the runtime mapping and dockerd are already set up');
    expect(o.doctorRuns).toBe(1);
    expect([readFileSync(w.daemonJson, 'utf8'), readFileSync(w.config, 'utf8')]).toEqual(before);
  });

  it('returns doctor\'s exit code (4) when doctor fails, with the verdict', async () => {
    const w = world();
    setUp(w);
    const o = options(w, fakeHost(w), fakeEngine({ up: true, runtimes: QUIRK_RUNTIMES }), { doctor: async () => [{ status: 'fail', id: 'probe-image', message: 'no image' }] });
    expect(await runSetup(o)).toBe(4);
    expect(o.lines[o.lines.length - 1]).toMatch(/doctor found 1 problem/);
  });

  it('not root: one line saying the engine parts need root; nothing written', async () => {
    const w = world();
    const error = await rejection(runSetup(options(w, fakeHost(w, { uid: 1000 }), fakeEngine({ up: false }))));
    expect(error.code).toBe('USAGE');
    expect(error.message).toMatch(/^setup needs root for the engine parts .*sudo mcp-sandbox setup/);
    expect(error.message).not.toContain('\n');
    expect(existsSync(w.daemonJson)).toBe(false);
  });

  it('not root, engine already set up: writes only the user\'s runtime mapping', async () => {
    const w = world();
    setUp(w);
    rmSync(w.config);
    const o = options(w, fakeHost(w, { uid: 1000 }), fakeEngine({ up: true, runtimes: QUIRK_RUNTIMES }));
    expect(await runSetup(o)).toBe(0);
    expect(readFileSync(w.config, 'utf8')).toContain('runsc: { none: runsc, bridge: runsc-net, host: runsc-net }');
    expect(o.lines).toContain(`created ${w.config} (mcp-sandbox user config (runtime mapping))`);
  });

  it('without --yes and no terminal: refuses to change anything, naming --yes and --dry-run', async () => {
    const w = world();
    const error = await rejection(runSetup(options(w, fakeHost(w), fakeEngine({ up: false }), { yes: false })));
    expect(error.message).toMatch(/pass --yes to apply, or --dry-run/);
    expect(existsSync(w.daemonJson)).toBe(false);
  });

  it('asks first without --yes; "no" changes nothing', async () => {
    const w = world();
    const asked: string[] = [];
    const o = options(w, fakeHost(w), fakeEngine({ up: false }), { yes: false, confirm: async (q) => (asked.push(q), false) });
    const error = await rejection(runSetup(o));
    expect(asked).toEqual(['apply these changes? [y/N] ']);
    expect(o.lines.join('\n')).toContain(`will create ${w.daemonJson}`);
    expect(error.message).toMatch(/cancelled/);
    expect(existsSync(w.daemonJson)).toBe(false);
  });

  it('an invalid daemon.json stops it before anything changes, located, content not shown', async () => {
    const w = world();
    mkdirSync(path.dirname(w.daemonJson), { recursive: true });
    writeFileSync(w.daemonJson, '{"hosts": ["tcp://0.0.0.0:2375"],,}');
    const error = await rejection(runSetup(options(w, fakeHost(w), fakeEngine({ up: false }))));
    expect(error.code).toBe('CONFIG_CONFLICT');
    expect(error.location).toMatchObject({ file: w.daemonJson, line: 1 });
    expect(error.message).not.toContain('2375');
    expect(readFileSync(w.daemonJson, 'utf8')).toBe('{"hosts": ["tcp://0.0.0.0:2375"],,}');
  });

  it('on macOS or Windows: says where gVisor goes instead (docs/install.md)', async () => {
    const w = world();
    const error = await rejection(runSetup(options(w, fakeHost(w, { platform: 'darwin' }), fakeEngine({ up: true }))));
    expect(error.message).toMatch(/this is macOS/);
    expect(error.hint).toMatch(/Colima or Lima VM.*WSL2/);
  });

  it('refuses a remote engine (tcp DOCKER_HOST)', async () => {
    const w = world();
    w.env.DOCKER_HOST = 'tcp://10.0.0.5:2375';
    const error = await rejection(runSetup(options(w, fakeHost(w), fakeEngine({ up: true }))));
    expect(error.message).toMatch(/local engine, but the engine is tcp:\/\/10.0.0.5:2375/);
  });

  it('a running engine with stale runtimes: the plan shows the SIGHUP; with no dockerd found by its socket, applying says how to reload', async () => {
    const w = world();
    setUp(w);
    const engine = fakeEngine({ up: true, runtimes: { runsc: { path: '/usr/bin/runsc' } } });
    const o = options(w, fakeHost(w), engine, { dryRun: true });
    await runSetup(o);
    expect(o.lines).toContain('would run: kill -HUP \'<pid of dockerd>\'    # dockerd re-reads the runtimes in daemon.json');
    const error = await rejection(runSetup(options(w, fakeHost(w), engine)));
    expect(error.message).toMatch(/cannot find the dockerd process listening on/);
  });

  it('refuses an engine that runs in its own VM (Docker Desktop for Linux), with the platform advice', async () => {
    const w = world();
    const engine = { ...fakeEngine({ up: true }), info: async () => ({ OperatingSystem: 'Docker Desktop', KernelVersion: '6.10.2-linuxkit' }) } as EngineClient;
    const error = await rejection(runSetup(options(w, fakeHost(w), engine)));
    expect(error.message).toMatch(/is Docker Desktop, whose engine runs in its own VM/);
    expect(error.hint).toMatch(/Colima or Lima/);
  });

  it('a live lock on daemon.json stops a second setup; a stale one is taken over', async () => {
    const w = world();
    mkdirSync(path.dirname(w.daemonJson), { recursive: true });
    writeFileSync(`${w.daemonJson}.mcp-sandbox-lock`, String(process.pid));
    const error = await rejection(runSetup(options(w, fakeHost(w), fakeEngine({ up: true, runtimes: QUIRK_RUNTIMES }))));
    expect(error.message).toMatch(new RegExp(`another mcp-sandbox setup \\(pid ${process.pid}\\) is changing the engine config`));
    expect(existsSync(w.daemonJson)).toBe(false);
    writeFileSync(`${w.daemonJson}.mcp-sandbox-lock`, '999999999');
    await runSetup(options(w, fakeHost(w), fakeEngine({ up: true, runtimes: QUIRK_RUNTIMES }))).catch(() => undefined);
    expect(existsSync(w.daemonJson)).toBe(true);
    expect(existsSync(`${w.daemonJson}.mcp-sandbox-lock`)).toBe(false);
  });
});
