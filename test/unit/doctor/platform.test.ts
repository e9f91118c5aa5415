/**
 * Platform detection from recorded engine answers (test/fixtures/platform/*.json: the endpoint
 * doctor resolved and the engine's /info, each with its source), and what doctor then says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Check } from '../../../src/doctor/checks.js';
import { detectPlatform, platformCheck, withPlatformCheck, type PlatformInput, type PlatformKind } from '../../../src/doctor/platform.js';
import type { EngineClient, EngineInfo } from '../../../src/engine/client.js';
import type { EngineEndpoint } from '../../../src/engine/endpoint.js';

const DIR = path.resolve('test/fixtures/platform');

interface Fixture extends PlatformInput {
  source: string;
  info: EngineInfo;
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Fixture;
}

const EXPECTED: Record<string, { kind: PlatformKind; label: string; status: Check['status'] }> = {
  'linux-debian12': { kind: 'linux', label: 'Linux', status: 'ok' },
  'docker-desktop-macos': { kind: 'docker-desktop', label: 'Docker Desktop', status: 'warn' },
  'docker-desktop-context': { kind: 'docker-desktop', label: 'Docker Desktop', status: 'warn' },
  'docker-desktop-wsl2': { kind: 'docker-desktop', label: 'Docker Desktop', status: 'warn' },
  colima: { kind: 'colima', label: 'Colima (profile default)', status: 'warn' },
  'colima-profile-with-runsc': { kind: 'colima', label: 'Colima (profile work)', status: 'ok' },
  orbstack: { kind: 'orbstack', label: 'OrbStack', status: 'warn' },
  lima: { kind: 'lima', label: 'Lima (instance docker)', status: 'warn' },
  'rancher-desktop': { kind: 'rancher-desktop', label: 'Rancher Desktop', status: 'warn' },
  'wsl2-distro-engine': { kind: 'wsl2', label: 'WSL2 (distribution Debian)', status: 'ok' },
};

describe('detectPlatform from recorded engine info', () => {
  it('has an expectation for every fixture, and every fixture names its source', () => {
    const names = readdirSync(DIR).map((f) => f.replace(/\.json$/, '')).sort();
    expect(names).toEqual(Object.keys(EXPECTED).sort());
    for (const name of names) expect(fixture(name).source).toMatch(/recorded|transcribed|as `mcp-sandbox setup`/);
  });

  it.each(Object.entries(EXPECTED))('%s', (name, want) => {
    const f = fixture(name);
    const platform = detectPlatform(f);
    expect({ kind: platform.kind, label: platform.label }).toEqual({ kind: want.kind, label: want.label });
    expect(platform.evidence.length).toBeGreaterThan(0);
    expect(platformCheck(platform, f.info, true).status).toBe(want.status);
  });
});

describe('what doctor says per platform', () => {
  const say = (name: string): Check => {
    const f = fixture(name);
    return platformCheck(detectPlatform(f), f.info, true);
  };

  it('Docker Desktop: no gVisor there, the way out is Colima/Lima or an explicit, justified runc', () => {
    const check = say('docker-desktop-macos');
    expect(check.message).toMatch(/^platform: Docker Desktop \(OperatingSystem "Docker Desktop"\): .*gVisor \(runsc\) cannot run there/);
    expect(check.hint).toMatch(/Colima or Lima/);
    expect(check.hint).toMatch(/`runtime: runc` with `justifications: \{MS101: "why"\}`.*lint still lists it.*never falls back to runc by itself/);
  });

  it('Colima: the commands to install and register runsc inside the VM, for the right profile', () => {
    const check = say('colima');
    expect(check.hint).toMatch(/^colima ssh -- sh -c '.*storage\.googleapis\.com\/gvisor\/releases\/release\/latest.*sha512sum -c runsc\.sha512 && sudo install -m 755 runsc \/usr\/local\/bin\/runsc'/);
    expect(check.hint).toMatch(/colima start --edit.*runtimes: \{runsc: \{path: \/usr\/local\/bin\/runsc\}\}.*colima restart/);
    const profile = detectPlatform({ ...fixture('colima-profile-with-runsc'), info: { Name: 'colima-work' } });
    expect(platformCheck(profile, { Runtimes: {} }, true).hint).toMatch(/^colima ssh -p work -- .*colima start -p work --edit.*colima restart -p work`$/);
  });

  it('Lima: limactl shell <instance> with runsc install and a docker restart', () => {
    expect(say('lima').hint).toMatch(/^limactl shell docker sh -c '.*'; limactl shell docker sudo \/usr\/local\/bin\/runsc install; limactl shell docker sudo systemctl restart docker/);
  });

  it('WSL2 with an engine in the distribution: the desktop --wsl entry to use from Windows', () => {
    expect(say('wsl2-distro-engine').message).toMatch(/desktop --client claude-desktop --wsl Debian --install/);
    const missing = detectPlatform({ ...fixture('wsl2-distro-engine') });
    expect(platformCheck(missing, { Runtimes: { runc: { path: 'runc' } } }, true).hint).toMatch(/^inside the distribution: sudo mcp-sandbox setup; then mcp-sandbox desktop --client claude-desktop --wsl Debian --install/);
  });

  it('plain Linux without runsc points at setup', () => {
    const f = fixture('linux-debian12');
    expect(platformCheck(detectPlatform(f), { Runtimes: { runc: { path: 'runc' } } }, true)).toMatchObject({ status: 'warn', hint: expect.stringMatching(/^sudo mcp-sandbox setup/) });
  });

  it('an engine that does not answer: recognized from the endpoint, with how to start it', () => {
    const f = fixture('colima');
    const check = platformCheck(detectPlatform({ ...f, info: undefined }), undefined, false);
    expect(check).toMatchObject({ status: 'warn', message: expect.stringMatching(/Colima .*not answering/), hint: 'colima start, then rerun doctor' });
  });

  it('a tcp endpoint is a remote engine', () => {
    const endpoint: EngineEndpoint = { kind: 'tcp', host: '10.1.2.3', port: 2376, source: 'DOCKER_HOST' };
    expect(detectPlatform({ endpoint, info: {}, hostPlatform: 'darwin' }).kind).toBe('remote');
  });
});

describe('withPlatformCheck', () => {
  const engineFor = (name: string): EngineClient => {
    const f = fixture(name);
    return { endpoint: f.endpoint, info: async () => f.info } as unknown as EngineClient;
  };
  const checks: Check[] = [
    { status: 'ok', id: 'engine', message: 'engine reachable' },
    { status: 'fail', id: 'runtime-missing', message: 'runtime runsc is not registered', hint: 'add {...} to /etc/docker/daemon.json and send dockerd SIGHUP' },
  ];

  it('puts the platform line right after the engine line', async () => {
    const f = fixture('linux-debian12');
    const out = await withPlatformCheck(checks, engineFor('linux-debian12'), {}, { platform: 'linux', kernel: f.hostKernel as string });
    expect(out.map((c) => c.id)).toEqual(['engine', 'platform', 'runtime-missing']);
    expect(out[2]?.hint).toMatch(/daemon\.json/);
  });

  it('on Docker Desktop the daemon.json fix is replaced by a pointer to the platform line', async () => {
    const out = await withPlatformCheck(checks, engineFor('docker-desktop-macos'), {}, { platform: 'darwin', kernel: '24.0.0' });
    expect(out[2]?.hint).toBe('on Docker Desktop see the platform line above');
  });
});
