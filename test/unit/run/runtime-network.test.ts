import { PassThrough, Writable } from 'node:stream';
import path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { launch } from '../../../src/run/launch.js';
import { runtimeNetworkProblem } from '../../../src/run/runtime-network.js';
import { FakeEngine } from './fake-engine.js';

const RUNTIMES = { runsc: { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] }, 'runsc-net': { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] }, runc: { path: 'runc' } };
const question = { runtime: 'runsc', profileRuntime: 'runsc', network: 'bridge' as const, profile: 'fetch', configFile: '/home/u/.config/mcp-sandbox/config.yaml' };

describe('runtimeNetworkProblem', () => {
  test('a networked profile on a --network=none runtime: one line naming the mapping and the file', () => {
    const error = runtimeNetworkProblem({ Runtimes: RUNTIMES }, question);
    expect(error?.code).toBe('RUNTIME_MISSING');
    expect(error?.message).toBe('profile fetch asks for network bridge, but engine runtime runsc is registered with --network=none: the server would see only lo');
    expect(error?.hint).toBe(
      'map networked profiles to a runtime registered with --network=host: put "runtimes: { runsc: { none: runsc, bridge: runsc-net, host: runsc-net } }" in /home/u/.config/mcp-sandbox/config.yaml (see `mcp-sandbox doctor`)',
    );
    expect(runtimeNetworkProblem({ Runtimes: { runsc: { runtimeArgs: ['--network', 'none'] } } }, { ...question, network: 'host' })).toBeDefined();
  });
  test('fine: network none, a --network=host runtime, a runtime without such args, an unknown runtime', () => {
    expect(runtimeNetworkProblem({ Runtimes: RUNTIMES }, { ...question, network: 'none' })).toBeUndefined();
    expect(runtimeNetworkProblem({ Runtimes: RUNTIMES }, { ...question, runtime: 'runsc-net' })).toBeUndefined();
    expect(runtimeNetworkProblem({ Runtimes: RUNTIMES }, { ...question, runtime: 'runc', profileRuntime: 'runc' })).toBeUndefined();
    expect(runtimeNetworkProblem({}, question)).toBeUndefined();
  });
  test('a mapped runtime says where it came from', () => {
    expect(runtimeNetworkProblem({ Runtimes: { 'gv': { runtimeArgs: ['--network=none'] } } }, { ...question, runtime: 'gv' })?.message).toContain('engine runtime gv (mapped from runsc)');
  });
});

describe('launch asks the engine for its runtimes only for a networked profile', () => {
  const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
  const io = () => ({ stdin: new PassThrough(), stdout: sink(), stderr: sink(), onSignal: () => () => undefined });
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-unit-net-'));
  const env = { MCP_SANDBOX_CONFIG: path.join(dir, 'none.yaml'), MCP_SANDBOX_CACHE_DIR: path.join(dir, 'cache'), HOME: dir };
  writeFileSync(env.MCP_SANDBOX_CONFIG, '{}\n');

  test('network none: no /info round trip', async () => {
    const engine = new FakeEngine({ info: { Runtimes: RUNTIMES }, onStart: (c) => c.exit(0) });
    expect(await launch(path.resolve('test/fixtures/run/everything.yaml'), { engine, env, io: io() })).toBe(0);
    expect(engine.calls).not.toContain('info');
  });

  test('network bridge on runsc --network=none: refused before create, run and --dry-run alike', async () => {
    for (const dryRun of [false, true]) {
      const engine = new FakeEngine({ info: { Runtimes: RUNTIMES } });
      await expect(launch(path.resolve('test/fixtures/run/networked.yaml'), { engine, env, io: io(), dryRun })).rejects.toMatchObject({ code: 'RUNTIME_MISSING' });
      expect(engine.calls).toEqual(['info']);
    }
  });

  test('network bridge with the mapping to runsc-net: starts', async () => {
    const mapped = path.join(dir, 'mapped.yaml');
    writeFileSync(mapped, 'runtimes:\n  runsc: { none: runsc, bridge: runsc-net, host: runsc-net }\n');
    const engine = new FakeEngine({ info: { Runtimes: RUNTIMES }, onStart: (c) => c.exit(0) });
    expect(await launch(path.resolve('test/fixtures/run/networked.yaml'), { engine, env: { ...env, MCP_SANDBOX_CONFIG: mapped }, io: io(), extraArgs: ['true'] })).toBe(0);
    // No pool reaper runs for this engine, so no warm-pool lookup comes before the create.
    expect(engine.calls.slice(0, 2)).toEqual(['info', 'create']);
    expect(engine.bodies[0]?.HostConfig.Runtime).toBe('runsc-net');
  });
});
