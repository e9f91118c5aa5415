/**
 * doctor's logic against a fake engine and scripted probes: which checks run, what passes,
 * what fails with which fix, and that a runtime silently dropping networking is caught.
 */
import { PassThrough } from 'node:stream';
import { doctorPassed, formatCheck, runDoctor, type Check, type DoctorDeps, type ProfileNeed } from '../../../src/doctor/checks.js';
import { interfacesFromProcNetDev, kernelAtLeast, parseRunscRelease, runscNetworkArg } from '../../../src/doctor/facts.js';
import { probeBody, runProbe, type ProbeResult, type ProbeSpec } from '../../../src/doctor/probe.js';
import { EngineConnectionError, type EngineClient, type EngineInfo } from '../../../src/engine/client.js';
import type { UserConfig } from '../../../src/run/user-config.js';

const ENDPOINT = { kind: 'unix' as const, socketPath: '/var/run/docker.sock', source: 'default socket' };
const QUIRK_RUNTIMES: EngineInfo['Runtimes'] = {
  runc: { path: 'runc' },
  runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] },
  'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] },
};
const PROFILES: ProfileNeed[] = [
  { name: 'everything', runtime: 'runsc', network: 'none', image: 'mcp-sandbox/everything:1' },
  { name: 'fetch', runtime: 'runsc', network: 'bridge', image: 'mcp-sandbox/fetch:1' },
];
const NO_CONFIG: UserConfig = { runtimes: {}, stopGrace: 2, file: '/home/u/.config/mcp-sandbox/config.yaml' };
const MAPPED: UserConfig = { ...NO_CONFIG, runtimes: { runsc: { none: 'runsc', bridge: 'runsc-net', host: 'runsc-net' } } };
const NET_DEV = (names: string[]): string =>
  `Inter-|   Receive\n face |bytes\n${names.map((n) => `  ${n}: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0`).join('\n')}\n`;

interface FakeOptions {
  info?: Partial<EngineInfo>;
  images?: string[];
  unreachable?: boolean;
}

function fakeEngine(options: FakeOptions = {}): EngineClient {
  const images = new Set(options.images ?? ['mcp-sandbox-test/busybox:local']);
  const fail = (): never => {
    throw new Error('not used by doctor logic');
  };
  return {
    endpoint: ENDPOINT,
    ping: async () => undefined,
    version: async () => {
      if (options.unreachable) throw new EngineConnectionError('unix:///var/run/docker.sock', 'ENOENT');
      return { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12' };
    },
    info: async () => {
      if (options.unreachable) throw new EngineConnectionError('unix:///var/run/docker.sock', 'ENOENT');
      return { KernelVersion: '6.18.44', DefaultRuntime: 'runc', Runtimes: QUIRK_RUNTIMES, ...options.info };
    },
    inspectImage: async (ref: string) => (images.has(ref) ? { Id: `sha256:${ref}` } : undefined),
    createContainer: fail,
    attach: fail,
    wait: fail,
    start: fail,
    stop: fail,
    kill: fail,
    remove: fail,
    inspectContainer: fail,
    listContainers: fail,
    pullImage: fail,
    events: fail,
    close: () => undefined,
    rename: fail,
  };
}

/** A probe that behaves like this host: runsc (--network=none) never has eth0, runsc-net does. */
function hostLikeProbe(calls: ProbeSpec[] = [], overrides: Partial<Record<string, ProbeResult>> = {}): DoctorDeps['probe'] {
  return async (spec) => {
    calls.push(spec);
    const key = spec.memory ? `memory:${spec.runtime}` : spec.pidsLimit !== undefined && spec.pidsLimit > 0 ? `pids:${spec.runtime}` : `start:${spec.runtime}:${spec.network}`;
    const override = overrides[key];
    if (override) return override;
    if (spec.memory) return { exitCode: 137, oomKilled: true, memoryLimit: spec.memory, output: '', timedOut: false, elapsed: 900 };
    if (spec.pidsLimit !== undefined && spec.pidsLimit > 0) return { exitCode: 2, output: '', timedOut: false, elapsed: 900 };
    const hasNet = spec.network !== 'none' && spec.runtime === 'runsc-net';
    return { exitCode: 0, output: `${NET_DEV(hasNet ? ['eth0', 'lo'] : ['lo'])}::dmesg\n[   0.000000] Starting gVisor...\n`, timedOut: false, elapsed: 1000 };
  };
}

function deps(overrides: Partial<DoctorDeps> & { engineOptions?: FakeOptions } = {}): DoctorDeps {
  return {
    engine: fakeEngine(overrides.engineOptions),
    config: NO_CONFIG,
    profiles: PROFILES,
    runscVersion: async () => 'runsc version 0.0~20221219.0\nspec: 1.0.2-dev\n',
    probe: hostLikeProbe(),
    ...overrides,
  };
}

const byId = (checks: Check[], id: string): Check[] => checks.filter((c) => c.id === id);

describe('facts', () => {
  test('runsc release dates from upstream and Debian version strings', () => {
    expect(parseRunscRelease('runsc version release-20240807.0\nspec: 1.1.0')).toBe(20240807);
    expect(parseRunscRelease('runsc version 0.0~20221219.0\nspec: 1.0.2-dev')).toBe(20221219);
    expect(parseRunscRelease('runsc version google-612345')).toBeUndefined();
  });
  test('kernel comparison', () => {
    expect(kernelAtLeast('6.18.44-fc-v595', 6, 11)).toBe(true);
    expect(kernelAtLeast('6.11.0', 6, 11)).toBe(true);
    expect(kernelAtLeast('6.10.9', 6, 11)).toBe(false);
    expect(kernelAtLeast('5.15.0-91-generic', 6, 11)).toBe(false);
    expect(kernelAtLeast(undefined, 6, 11)).toBe(false);
  });
  test('runsc --network argument, default sandbox', () => {
    expect(runscNetworkArg(['--network=none'])).toBe('none');
    expect(runscNetworkArg(['--debug', '--network', 'host'])).toBe('host');
    expect(runscNetworkArg(undefined)).toBe('sandbox');
  });
  test('interfaces from /proc/net/dev', () => {
    expect(interfacesFromProcNetDev(NET_DEV(['eth0', 'lo']))).toEqual(['eth0', 'lo']);
  });
});

describe('runDoctor', () => {
  test('this host without a runtime mapping: quirk warning, networking silently removed for the bridge profile', async () => {
    const checks = await runDoctor(deps());
    const lines = checks.map(formatCheck);
    expect(lines[0]).toMatch(/^✓ engine reachable at unix:\/\/\/var\/run\/docker.sock \(default socket\): Docker 20.10.24, API 1.41/);
    expect(lines[1]).toBe('✓ runtimes registered: runc, runsc [--network=none], runsc-net [--network=host] (default runc)');
    const quirk = byId(checks, 'runsc-version')[0]!;
    expect(quirk.status).toBe('warn');
    expect(formatCheck(quirk)).toMatch(/^! \/usr\/bin\/runsc: runsc version 0.0~20221219.0, older than release-20240807.0 on kernel 6.18.44/);
    expect(quirk.hint).toContain('["--network=none"]');
    expect(quirk.hint).toContain('["--network=host"]');
    const removed = byId(checks, 'network-removed');
    expect(removed).toHaveLength(1);
    expect(removed[0]!.status).toBe('fail');
    expect(removed[0]!.message).toMatch(/runtime runsc \(runtimeArgs --network=none\) silently removes networking: fetch ask for network bridge/);
    expect(removed[0]!.hint).toContain('bridge: runsc-net');
    expect(doctorPassed(checks)).toBe(false);
  });

  test('with the mapping every check passes; probes cover each (runtime, network) and limits per runtime', async () => {
    const calls: ProbeSpec[] = [];
    const checks = await runDoctor(deps({ config: MAPPED, probe: hostLikeProbe(calls) }));
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(doctorPassed(checks)).toBe(true);
    const starts = calls.filter((c) => !c.memory && !(c.pidsLimit && c.pidsLimit > 0)).map((c) => `${c.runtime}/${c.network}`).sort();
    expect(starts).toEqual(['runsc-net/bridge', 'runsc/none']);
    expect(calls.filter((c) => c.memory).map((c) => c.runtime).sort()).toEqual(['runsc', 'runsc-net']);
    expect(calls.every((c) => c.image === 'mcp-sandbox-test/busybox:local')).toBe(true);
    expect(byId(checks, 'memory')[0]!.message).toMatch(/memory limit under runsc enforced: .* killed by the OOM killer, exit 137/);
    expect(byId(checks, 'pids')[0]!.message).toMatch(/pids limit under runsc enforced/);
    expect(byId(checks, 'start').map((c) => c.message).join('\n')).toMatch(/gVisor kernel, interfaces eth0 lo/);
  });

  test('engine unreachable: one failing line with the fix, nothing else', async () => {
    const checks = await runDoctor(deps({ engineOptions: { unreachable: true } }));
    expect(checks).toHaveLength(1);
    expect(formatCheck(checks[0]!)).toMatch(/^✗ cannot reach the Docker engine at unix:\/\/\/var\/run\/docker.sock \(default socket\): ENOENT \(fix: start Docker/);
  });

  test('a runtime the profiles need is missing: the daemon.json snippet', async () => {
    const checks = await runDoctor(deps({ config: MAPPED, engineOptions: { info: { Runtimes: { runc: { path: 'runc' }, runsc: QUIRK_RUNTIMES!.runsc! } } } }));
    const missing = byId(checks, 'runtime-missing');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.message).toBe('runtime runsc-net (network bridge; profiles fetch) is not registered with the engine');
    expect(missing[0]!.hint).toContain('"runsc-net": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=host"]}');
  });

  test('old runsc on a new kernel registered without network args: every start fails, fix says which args', async () => {
    const failing: ProbeResult = { startError: 'OCI runtime create failed: cannot run with network enabled in root network namespace', output: '', timedOut: false, elapsed: 500 };
    const checks = await runDoctor(
      deps({
        engineOptions: { info: { Runtimes: { runc: { path: 'runc' }, runsc: { path: '/usr/bin/runsc' } } } },
        probe: hostLikeProbe([], { 'start:runsc:none': failing, 'start:runsc:bridge': failing }),
      }),
    );
    const args = byId(checks, 'runsc-args');
    expect(args).toHaveLength(1);
    expect(args[0]!.message).toMatch(/runtime runsc runs gVisor's own network stack/);
    const start = byId(checks, 'start').filter((c) => c.status === 'fail');
    expect(start).toHaveLength(2);
    expect(start[0]!.hint).toContain('["--network=none"]');
  });

  test('a new runsc release or an old kernel: no quirk warning', async () => {
    const checks = await runDoctor(deps({ config: MAPPED, runscVersion: async () => 'runsc version release-20250101.0\n' }));
    expect(byId(checks, 'runsc-version')[0]!.status).toBe('ok');
    const oldKernel = await runDoctor(deps({ config: MAPPED, engineOptions: { info: { KernelVersion: '6.1.0-13-amd64' } } }));
    expect(byId(oldKernel, 'runsc-version')[0]!.status).toBe('ok');
  });

  test('limits not enforced are failures', async () => {
    const checks = await runDoctor(
      deps({
        config: MAPPED,
        probe: hostLikeProbe([], {
          'memory:runsc': { exitCode: 0, output: 'survived\n', timedOut: false, elapsed: 800 },
          'pids:runsc': { exitCode: 0, output: 'spawned=300\n', timedOut: false, elapsed: 800 },
        }),
      }),
    );
    expect(formatCheck(byId(checks, 'memory')[0]!)).toMatch(/^✗ memory limit under runsc is NOT enforced/);
    expect(formatCheck(byId(checks, 'pids')[0]!)).toMatch(/^✗ pids limit under runsc is NOT enforced: 300 processes started under a limit of 100/);
    expect(doctorPassed(checks)).toBe(false);
    const dropped = await runDoctor(deps({ config: MAPPED, probe: hostLikeProbe([], { 'memory:runsc': { exitCode: 137, memoryLimit: 0, output: '', timedOut: false, elapsed: 800 } }) }));
    expect(byId(dropped, 'memory')[0]!.message).toBe('memory limit under runsc: asked for 64 MiB, the engine recorded 0 MiB');
  });

  test('no small image: the profile image is used; none at all: says so and fails', async () => {
    const calls: ProbeSpec[] = [];
    const withProfileImage = await runDoctor(deps({ config: MAPPED, probe: hostLikeProbe(calls), engineOptions: { images: ['mcp-sandbox/fetch:1'] } }));
    expect(byId(withProfileImage, 'probe-image')[0]!.status).toBe('warn');
    expect(new Set(calls.map((c) => c.image))).toEqual(new Set(['mcp-sandbox/fetch:1']));
    const none = await runDoctor(deps({ engineOptions: { images: [] } }));
    const image = byId(none, 'probe-image')[0]!;
    expect(image.status).toBe('fail');
    expect(image.message).toMatch(/^no image available to test with/);
    expect(byId(none, 'start')).toEqual([]);
  });

  test('a network none container that sees eth0 is a leak', async () => {
    const checks = await runDoctor(
      deps({ config: MAPPED, probe: hostLikeProbe([], { 'start:runsc:none': { exitCode: 0, output: `${NET_DEV(['eth0', 'lo'])}::dmesg\ngVisor`, timedOut: false, elapsed: 1 } }) }),
    );
    expect(byId(checks, 'network-leak')[0]!.status).toBe('fail');
  });
});

describe('runProbe', () => {
  test('probe body is hardened and carries the limits', () => {
    const body = probeBody({ image: 'bb', runtime: 'runsc', network: 'bridge', script: 'true', memory: 64 << 20, pidsLimit: 100 });
    expect(body.HostConfig).toMatchObject({ Runtime: 'runsc', NetworkMode: 'bridge', Memory: 64 << 20, MemorySwap: 64 << 20, PidsLimit: 100, ReadonlyRootfs: true, CapDrop: ['ALL'] });
    expect(body.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(body.Entrypoint).toEqual(['sh', '-c']);
  });

  test('create → attach → wait → start, output demultiplexed, container removed; start failure reported', async () => {
    const calls: string[] = [];
    const socket = new PassThrough();
    let exit!: (code: number) => void;
    const frame = (text: string): Buffer => {
      const header = Buffer.alloc(8);
      header[0] = 1;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const engine = {
      ...fakeEngine(),
      createContainer: async () => (calls.push('create'), { id: 'c1', warnings: [] }),
      attach: async () => (calls.push('attach'), socket),
      wait: async () => {
        calls.push('wait');
        return { result: new Promise<{ StatusCode: number }>((resolve) => (exit = (code) => resolve({ StatusCode: code }))), cancel: () => undefined };
      },
      start: async () => {
        calls.push('start');
        socket.write(frame('hello '));
        socket.end(frame('world\n'));
        setTimeout(() => exit(0), 5);
      },
      inspectContainer: async () => ({ Id: 'c1', Name: 'x', State: { Status: 'exited', Running: false, OOMKilled: false, ExitCode: 0 }, HostConfig: {}, Config: {} }),
      remove: async () => void calls.push('remove'),
    } as unknown as EngineClient;
    const result = await runProbe(engine, { image: 'bb', runtime: 'runsc', network: 'none', script: 'echo' });
    expect(calls).toEqual(['create', 'attach', 'wait', 'start', 'remove']);
    expect(result).toMatchObject({ exitCode: 0, oomKilled: false, output: 'hello world\n', timedOut: false });

    const failing = { ...engine, createContainer: async () => ({ id: 'c2', warnings: [] }), start: async () => Promise.reject(new Error('OCI runtime create failed: boom\nmore')), remove: async () => void calls.push('remove2') } as unknown as EngineClient;
    const failed = await runProbe(failing, { image: 'bb', runtime: 'runsc', network: 'none', script: 'echo' });
    expect(failed.startError).toBe('OCI runtime create failed: boom');
    expect(calls).toContain('remove2');
  });
});
