/**
 * Spare egress sets (docs/egress.md, "Spare sets") on the real engine, server under runsc: a
 * run of an allowlisted profile that has answered makes its keeper make a spare set; the next
 * run claims it and keeps every guarantee of its own set; two claimers of one spare: one wins; a
 * different allowlist never claims it; a SIGKILLed claimer's set is removed; an unclaimed spare
 * goes after the idle timeout. Targets as in egress-run.test.ts (a container on the test's own
 * upstream network, a listener on the host). The keepers this file caused are stopped at the
 * end (they remove their sets), and nothing of theirs is left.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { jest } from '@jest/globals';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import { claimSpare, requestSpare } from '../../src/egress/spare-client.js';
import { spareHash, spareRecipe } from '../../src/egress/spare.js';
import { LABELS } from '../../src/labels.js';
import { prepareForRun } from '../../src/run/launch.js';
import { loadUserConfig } from '../../src/run/user-config.js';
import { INITIALIZE_LINE, NODE_IMAGE, ROOT, connect, runCli, containersOfLauncher, describeEngine, eventually, spawnCli, tempDir, writeProfile, writeUserConfig } from './helpers/engine.js';
import { makeTestCerts } from './helpers/test-certs.js';

jest.setTimeout(240_000);

const RUN = `h9s${process.pid}${Date.now().toString(36).slice(-4)}`;
const TEST_LABEL = `mcp-sandbox-test.egress-spare=${RUN}`;
const UP = `${RUN}-up`;
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'egress');
const ALLOWED = 'api.run.test';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}

const lines = (text: string | undefined): string[] => (text ?? '').split('\n').filter(Boolean);


/** Spare containers on this test's upstream network (every spare proxy is on it). */
function spareProxies(): string[] {
  return lines(spawnSync('docker', ['ps', '-aq', '--filter', `network=${UP}`, '--filter', `label=${LABELS.egressSpare}`], { encoding: 'utf8' }).stdout);
}

/** The keepers of this file's spares (the launcher pid of each spare proxy). */
function keepers(): number[] {
  const pids = spareProxies().map((id) => Number(spawnSync('docker', ['inspect', '-f', `{{index .Config.Labels "${LABELS.launcherPid}"}}`, id], { encoding: 'utf8' }).stdout.trim()));
  return [...new Set(pids.filter((pid) => pid > 0))];
}

/** Egress networks and containers of one egress session. */
function setOf(session: string): { containers: string[]; networks: string[] } {
  const label = `label=${LABELS.egressSession}=${session}`;
  return { containers: lines(spawnSync('docker', ['ps', '-aq', '--filter', label], { encoding: 'utf8' }).stdout), networks: lines(spawnSync('docker', ['network', 'ls', '-q', '--filter', label], { encoding: 'utf8' }).stdout) };
}

/** Sessions of the ready spares (their proxy logged that it listens), of one recipe hash if given. */
function readySpares(hash?: string): string[] {
  return spareProxies()
    .filter((id) => hash === undefined || spawnSync('docker', ['inspect', '-f', `{{index .Config.Labels "${LABELS.egressSpare}"}}`, id], { encoding: 'utf8' }).stdout.trim() === hash.slice(0, 16))
    .filter((id) => /Loading success/.test(spawnSync('docker', ['logs', id], { encoding: 'utf8' }).stderr ?? ''))
    .map((id) => spawnSync('docker', ['inspect', '-f', `{{index .Config.Labels "${LABELS.egressSession}"}}`, id], { encoding: 'utf8' }).stdout.trim());
}

/** True while `pid` runs (a zombie no longer does: this machine's pid 1 may not reap). */
function processRuns(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const dir = tempDir('mcp-sandbox-egress-spare-');
const certDir = path.join(dir, 'certs');
let targetIp = '';
let hostServer: net.Server | undefined;
let hostPort = 0;
let profile = '';
let otherProfile = '';
let env: Record<string, string> = {};
let idleEnv: Record<string, string> = {};
/** The recipe hash of the first profile (its spares carry its first 16 digits). */
let firstHash = '';

beforeAll(async () => {
  if (spawnSync('docker', ['image', 'inspect', 'mcp-sandbox/egress:local'], { stdio: 'ignore' }).status !== 0) return;
  execFileSync('mkdir', ['-p', certDir]);
  makeTestCerts(certDir, 'egress spare test CA', [ALLOWED, 'denied.run.test']);
  docker('network', 'create', '--label', TEST_LABEL, UP);
  docker('run', '-d', '--name', `${RUN}-target`, '--label', TEST_LABEL, '--runtime', 'runc', '--network', UP, '-e', 'TARGET_NAME=allowed', '-v', `${FIXTURES}:/probe:ro`, '-v', `${certDir}:/certs:ro`, NODE_IMAGE, 'node', '/probe/target.cjs');
  targetIp = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${UP}").IPAddress}}`, `${RUN}-target`);
  hostServer = net.createServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nhost service\n'));
  await new Promise<void>((resolve) => hostServer?.listen(0, '0.0.0.0', resolve));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  const profileText = (allow: string[]): string =>
    [
      'version: 1',
      `name: egress-spare-${RUN}`,
      `image: ${NODE_IMAGE}`,
      'pull: never',
      'user: "10001"',
      'command: [node, /probe/mcp-fetch.cjs]',
      'env: { NODE_EXTRA_CA_CERTS: /certs/ca.pem }',
      'network:',
      '  allow:',
      ...allow.map((entry) => `    - ${entry}`),
      'filesystem:',
      '  mounts:',
      `    - { source: ${FIXTURES}, target: /probe }`,
      `    - { source: ${certDir}, target: /certs }`,
      'resources: { memory: 256m }',
      '',
    ].join('\n');
  profile = writeProfile(dir, 'egress-spare', profileText(['${EGRESS_RUN_HOST}:443']));
  // The same profile with its allowlist edited: another recipe, another hash.
  otherProfile = writeProfile(dir, 'egress-spare-edited', profileText(['${EGRESS_RUN_HOST}:443', 'other.run.test:443']));
  const config = writeUserConfig(dir, ['runtimes: { runsc: { none: runsc, bridge: runsc-net } }', `egress: { hosts: { ${ALLOWED}: ${targetIp} }, network: ${UP} }`, ''].join('\n'));
  env = { MCP_SANDBOX_CONFIG: config, MCP_SANDBOX_AUDIT_DIR: path.join(dir, 'audit'), EGRESS_RUN_HOST: ALLOWED, XDG_CACHE_HOME: path.join(dir, 'cache') };
  // A short idle timeout, with one more mapped name so that its recipe (and keeper) is its own.
  const idleConfig = path.join(dir, 'idle.yaml');
  writeFileSync(idleConfig, ['runtimes: { runsc: { none: runsc, bridge: runsc-net } }', `egress: { hosts: { ${ALLOWED}: ${targetIp}, idle.run.test: ${targetIp} }, network: ${UP}, spareIdle: 4 }`, ''].join('\n'));
  idleEnv = { ...env, MCP_SANDBOX_CONFIG: idleConfig };
  firstHash = await recipeHash(profile);
});

/** The spare recipe hash of a profile under `env`, as `run` computes it. */
async function recipeHash(file: string): Promise<string> {
  const spec = await prepareForRun(file, { env: { ...process.env, ...env }, extraArgs: [] });
  const config = await loadUserConfig({ ...process.env, ...env });
  return spareHash(spareRecipe(spec.egress?.entries ?? [], config.egress?.hosts ?? new Map(), { upstreamNetwork: UP }));
}

afterAll(async () => {
  hostServer?.close();
  for (const pid of keepers()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  const gone = await eventually(() => spareProxies().length === 0 && keepers().length === 0, 30_000, 250);
  const ids = lines(spawnSync('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}`], { encoding: 'utf8' }).stdout);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  const rm = spawnSync('docker', ['network', 'rm', UP], { encoding: 'utf8' });
  const removed = rm.status === 0 || `${rm.stderr}${JSON.stringify(spawnSync('docker', ['network', 'inspect', UP], { encoding: 'utf8' }).stdout)}`;
  // Nothing of the spares is left: their containers went with the keepers, so the network could go.
  expect({ gone, removed }).toEqual({ gone: true, removed: true });
});

type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

/** The claimed spare's session named on the launcher's stderr (--verbose). */
const claimedIn = (stderr: string): string | undefined => /claimed spare egress set (\S+)/.exec(stderr)?.[1];

describeEngine('spare egress sets (real engine, server under runsc)', () => {
  test('a second run claims the spare made after the first, and keeps the egress guarantees', async () => {
    const first = await connect(profile, { env, runArgs: ['--verbose'] });
    await first.close();
    expect(claimedIn(first.stderr())).toBeUndefined();
    expect(first.stderr()).toMatch(/no spare keeper for this allowlist/);
    expect(await eventually(() => readySpares().length === 1, 60_000, 250)).toBe(true);
    const [spare] = readySpares();
    const auditDir = path.join(dir, 'audit-claimed');
    const second = await connect(profile, { env: { ...env, MCP_SANDBOX_AUDIT_DIR: auditDir }, runArgs: ['--verbose'] });
    const pid = second.pid() as number;
    try {
      expect(claimedIn(second.stderr())).toBe(spare);
      const server = docker('ps', '-q', '--filter', `label=${LABELS.profile}=egress-spare-${RUN}`, '--filter', `label=${LABELS.launcherPid}=${pid}`);
      // The server joined the claimed holder's namespace.
      expect(docker('inspect', '-f', '{{.HostConfig.NetworkMode}}', server)).toBe(`container:${docker('inspect', '-f', '{{.Id}}', `mcp-sandbox-egress-${spare}-dns`)}`);
      const fetchUrl = async (url: string): Promise<string> => textOf(await second.client.callTool({ name: 'fetch', arguments: { url } }));
      expect(await fetchUrl(`https://${ALLOWED}/`)).toBe(`200 target allowed host=${ALLOWED}`);
      expect(await fetchUrl('https://denied.run.test/')).toMatch(/^error (ENOTFOUND|EAI_AGAIN)/);
      expect(await fetchUrl(`https://${targetIp}/`)).toMatch(/^error /);
      expect(await fetchUrl(`http://172.17.0.1:${hostPort}/`)).toMatch(/^error /);
    } finally {
      await second.close();
    }
    // The claimed set goes with the session; the server too.
    expect(await eventually(() => setOf(spare as string).networks.length + setOf(spare as string).containers.length + containersOfLauncher(pid).length === 0, 30_000, 250)).toBe(true);
    // Its events are in the claiming session's audit log, under that session's id.
    const records = readdirSync(auditDir)
      .flatMap((f) => readFileSync(path.join(auditDir, f), 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const session = records.find((r) => r.type === 'session-start')?.session;
    const egress = records.filter((r) => r.type === 'egress');
    expect(egress.find((r) => r.event === 'connection' && r.name === ALLOWED)).toMatchObject({ verdict: 'allowed', upstream: `${targetIp}:443`, toolCalls: [{ tool: 'fetch', id: expect.anything() }] });
    expect(egress.some((r) => r.event === 'dns-refused' && r.name === 'denied.run.test')).toBe(true);
    expect(egress.every((r) => r.session === session)).toBe(true);
  });

  test('two claimers of one spare: exactly one wins', async () => {
    expect(await eventually(() => readySpares(firstHash).length === 1, 60_000, 250)).toBe(true);
    const spec = await prepareForRun(profile, { env: { ...process.env, ...env }, extraArgs: [] });
    const config = await loadUserConfig({ ...process.env, ...env });
    const hash = firstHash;
    const imageId = Promise.resolve(docker('image', 'inspect', '-f', '{{.Id}}', 'mcp-sandbox/egress:local'));
    const endpoint = resolveEndpoint();
    const claims = await Promise.all(['a', 'b'].map((n) => claimSpare({ endpoint, hash, imageId, container: `mcp-sandbox-${RUN}-race-${n}`, debug: () => undefined })));
    const won = claims.filter((c) => c !== undefined);
    expect(won).toHaveLength(1);
    await won[0]?.release();
    expect(await eventually(() => setOf(won[0]?.session as string).networks.length === 0, 30_000, 250)).toBe(true);
    // What a launcher does once its server answered: the keeper makes the next spare.
    await requestSpare({ endpoint, recipe: spareRecipe(spec.egress?.entries ?? [], config.egress?.hosts ?? new Map(), { upstreamNetwork: UP }), hash, idleSeconds: 600, debug: () => undefined });
  });

  test('an edited allowlist never claims the spare', async () => {
    expect(await eventually(() => readySpares(firstHash).length === 1, 60_000, 250)).toBe(true);
    const left = readySpares(firstHash);
    const edited = await connect(otherProfile, { env, runArgs: ['--verbose'] });
    await edited.close();
    expect(claimedIn(edited.stderr())).toBeUndefined();
    expect(edited.stderr()).toMatch(/no spare keeper for this allowlist/);
    // The spare of the first allowlist is still there, unclaimed; ps shows it with its keeper.
    expect(readySpares(firstHash)).toEqual(left);
    const ps = JSON.parse((await runCli(['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(ps).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'egress', session: left[0], spare: true, launcher: 'alive', parts: ['dns', 'proxy'] })]));
  });

  test('SIGKILL of a claiming launcher removes the claimed set and its server', async () => {
    expect(await eventually(() => readySpares(firstHash).length === 1, 60_000, 250)).toBe(true);
    const child = spawnCli(['run', '--verbose', profile], env);
    const kill = (): boolean => child.kill('SIGKILL');
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.stdin?.write(INITIALIZE_LINE);
    expect(await eventually(() => out.includes('"egress-fetch-fixture"'), 60_000)).toBe(true);
    const spare = claimedIn(err) as string;
    const pid = child.pid as number;
    if (spare === undefined || setOf(spare).containers.length !== 2) kill();
    expect(spare).toBeDefined();
    expect(setOf(spare).containers.length).toBe(2);
    kill();
    expect(await eventually(() => containersOfLauncher(pid).length === 0 && setOf(spare).containers.length === 0 && setOf(spare).networks.length === 0, 30_000, 250)).toBe(true);
  });

  test('an unclaimed spare is removed after the idle timeout, and its keeper leaves', async () => {
    const before = new Set(keepers());
    const run = await connect(profile, { env: idleEnv, runArgs: ['--verbose'] });
    await run.close();
    const keeper = await (async () => {
      for (let i = 0; i < 240; i += 1) {
        const fresh = keepers().find((pid) => !before.has(pid));
        if (fresh !== undefined) return fresh;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return undefined;
    })();
    expect(keeper).toBeDefined();
    const mine = (): string[] => lines(spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.launcherPid}=${keeper}`], { encoding: 'utf8' }).stdout);
    // Made (holder and proxy), then gone 4 s after it was ready; the keeper process with it.
    expect(await eventually(() => mine().length === 0, 60_000, 250)).toBe(true);
    const exited = await eventually(() => !processRuns(keeper as number), 10_000, 250);
    expect(exited).toBe(true);
    const networks = lines(spawnSync('docker', ['network', 'ls', '-q', '--filter', `label=${LABELS.launcherPid}=${keeper}`], { encoding: 'utf8' }).stdout);
    expect(networks).toEqual([]);
  });
});
