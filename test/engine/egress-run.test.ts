/**
 * `mcp-sandbox run` of a profile with `network: { allow: [...] }` on the real engine under runsc,
 * driven by the MCP SDK client: a tiny networked MCP server (test/fixtures/egress/mcp-fetch.cjs,
 * Node's global fetch, no proxy variables) reaches the allowed HTTPS target and nothing else.
 * Every target is one this test creates on this machine: a container on its own network (the
 * proxy's upstream network, `egress.network`; the name is mapped in `egress.hosts`) and a
 * listener on the host on 0.0.0.0. Nothing of the egress set outlives the session, nor a
 * SIGKILLed launcher (after the sweep `run` and `gc` perform). `serve` of the same profile gives
 * each HTTP session its own set, which goes with that session.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { jest } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import { HttpEngineClient } from '../../src/engine/http-client.js';
import { LOOPBACK_DIR_PREFIX, sweepEgressNetworks } from '../../src/egress/sweep.js';
import { LABELS } from '../../src/labels.js';
import { INITIALIZE_LINE, NODE_IMAGE, ROOT, connect, runCli, containersOfLauncher, describeEngine, eventually, spawnCli, tempDir, writeProfile, writeUserConfig } from './helpers/engine.js';
import { makeTestCerts } from './helpers/test-certs.js';
import { startServeCli } from './helpers/serve.js';

jest.setTimeout(180_000);

const RUN = `h8r${process.pid}${Date.now().toString(36).slice(-4)}`;
const TEST_LABEL = `mcp-sandbox-test.egress-run=${RUN}`;
const UP = `${RUN}-up`;
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'egress');
const ALLOWED = 'api.run.test';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}


/** Egress containers and networks of one launcher (they carry its pid label). */
function egressLeftOf(pid: number): { containers: string[]; networks: string[] } {
  const list = (kind: 'ps' | 'network'): string[] =>
    spawnSync('docker', kind === 'ps' ? ['ps', '-aq', '--filter', `label=${LABELS.launcherPid}=${pid}`, '--filter', `label=${LABELS.egress}`] : ['network', 'ls', '-q', '--filter', `label=${LABELS.launcherPid}=${pid}`, '--filter', `label=${LABELS.egress}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
  return { containers: list('ps'), networks: list('network') };
}

const dir = tempDir('mcp-sandbox-egress-run-');
const certDir = path.join(dir, 'certs');
const auditDir = path.join(dir, 'audit');
let targetIp = '';
let hostServer: net.Server | undefined;
let hostPort = 0;
let profile = '';
let env: Record<string, string> = {};
const engine = new HttpEngineClient(resolveEndpoint());

beforeAll(async () => {
  if (spawnSync('docker', ['image', 'inspect', 'mcp-sandbox/egress:local'], { stdio: 'ignore' }).status !== 0) return;
  execFileSync('mkdir', ['-p', certDir]);
  makeTestCerts(certDir, 'egress run test CA', [ALLOWED, 'denied.run.test']);
  docker('network', 'create', '--label', TEST_LABEL, UP);
  docker('run', '-d', '--name', `${RUN}-target`, '--label', TEST_LABEL, '--runtime', 'runc', '--network', UP, '-e', 'TARGET_NAME=allowed', '-v', `${FIXTURES}:/probe:ro`, '-v', `${certDir}:/certs:ro`, NODE_IMAGE, 'node', '/probe/target.cjs');
  targetIp = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${UP}").IPAddress}}`, `${RUN}-target`);
  hostServer = net.createServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nhost service\n'));
  await new Promise<void>((resolve) => hostServer?.listen(0, '0.0.0.0', resolve));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  profile = writeProfile(dir, 'egress-run', [
    'version: 1',
    `name: egress-run-${RUN}`,
    `image: ${NODE_IMAGE}`,
    'pull: never',
    'user: "10001"',
    'command: [node, /probe/mcp-fetch.cjs]',
    'env: { NODE_EXTRA_CA_CERTS: /certs/ca.pem }',
    'network:',
    '  allow:',
    '    - ${EGRESS_RUN_HOST}:443',
    'filesystem:',
    '  mounts:',
    `    - { source: ${FIXTURES}, target: /probe }`,
    `    - { source: ${certDir}, target: /certs }`,
    'resources: { memory: 256m }',
    '',
  ].join('\n'));
  const config = writeUserConfig(dir, [
    'runtimes: { runsc: { none: runsc, bridge: runsc-net } }',
    // Spare sets (egress-spare.test.ts) off: this file tests a session's own set.
    `egress: { hosts: { ${ALLOWED}: ${targetIp} }, network: ${UP}, spareIdle: 0 }`,
    '',
  ].join('\n'));
  // Explicit: the firewalled set's shape is asserted below whatever the default is.
  env = { MCP_SANDBOX_EGRESS_LOOPBACK: '0', MCP_SANDBOX_CONFIG: config, MCP_SANDBOX_AUDIT_DIR: auditDir, EGRESS_RUN_HOST: ALLOWED, XDG_CACHE_HOME: path.join(dir, 'cache') };
});

afterAll(() => {
  hostServer?.close();
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  spawnSync('docker', ['network', 'rm', UP], { stdio: 'ignore' });
  engine.close();
});

type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

describeEngine('run with an egress allowlist (real engine, server under runsc)', () => {
  test('the server reaches the allowed HTTPS name and nothing else; nothing is left after the session', async () => {
    const session = await connect(profile, { env, runArgs: ['--verbose'] });
    const pid = session.pid() as number;
    try {
      const server = docker('ps', '-q', '--filter', `label=${LABELS.profile}=egress-run-${RUN}`, '--filter', `label=${LABELS.launcherPid}=${pid}`);
      expect(docker('inspect', '-f', '{{.HostConfig.Runtime}} {{.HostConfig.NetworkMode}}', server)).toMatch(/^runsc-net container:/);
      // Clients that honour proxy variables are pointed at the sandbox's CONNECT proxy.
      expect(docker('inspect', '-f', '{{json .Config.Env}}', server)).toContain('"HTTPS_PROXY=http://127.0.0.11:3128"');
      const fetchUrl = async (url: string): Promise<string> => textOf(await session.client.callTool({ name: 'fetch', arguments: { url } }));
      expect(await fetchUrl(`https://${ALLOWED}/`)).toBe(`200 target allowed host=${ALLOWED}`);
      // Not listed: the name does not resolve in the sandbox.
      expect(await fetchUrl('https://denied.run.test/')).toMatch(/^error (ENOTFOUND|EAI_AGAIN)/);
      // The target's own address, the host's listener through docker0: no path.
      expect(await fetchUrl(`https://${targetIp}/`)).toMatch(/^error /);
      expect(await fetchUrl(`http://172.17.0.1:${hostPort}/`)).toMatch(/^error /);
      expect(egressLeftOf(pid).networks).toHaveLength(1);
      // ps lists the set with its live launcher.
      const ps = JSON.parse((await runCli(['ps', '--json'])).stdout) as Array<Record<string, unknown>>;
      expect(ps).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'egress', launcherPid: pid, launcher: 'alive', parts: ['dns', 'proxy'] })]));
    } finally {
      await session.close();
    }
    await eventually(() => containersOfLauncher(pid).length === 0 && egressLeftOf(pid).networks.length === 0, 30_000, 250);
    expect({ server: containersOfLauncher(pid), ...egressLeftOf(pid) }).toEqual({ server: [], containers: [], networks: [] });
    expect(session.stderr()).toMatch(/egress set ready in \d+ ms/);
    const records = readdirSync(auditDir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(path.join(auditDir, f), 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const egress = records.filter((r) => r.type === 'egress');
    // Each record names the tool call in flight: the connection was made by the fetch call.
    const allowed = egress.find((r) => r.event === 'connection' && r.name === ALLOWED);
    expect(allowed).toMatchObject({ port: 443, verdict: 'allowed', upstream: `${targetIp}:443`, toolCalls: [{ tool: 'fetch', id: expect.anything() }] });
    const call = records.find((r) => r.type === 'call' && r.tool === 'fetch' && r.id === (allowed?.toolCalls as Array<{ id: unknown }>)[0]?.id);
    expect(call).toBeDefined();
    expect(egress.every((r) => typeof r.session === 'string' && r.session === records.find((x) => x.type === 'session-start')?.session)).toBe(true);
  });

  test('served over HTTP: each session gets its own set, the allowlist holds, DELETE removes only its set', async () => {
    const served = await startServeCli([profile, '--listen', '127.0.0.1:0', '--auth', 'none', '--verbose'], env);
    const pid = served.child.pid as number;
    const sessions = [0, 1].map(() => ({ transport: new StreamableHTTPClientTransport(served.url), client: new Client({ name: 'egress-serve-test', version: '1.0.0' }) }));
    try {
      for (const { client, transport } of sessions) await client.connect(transport);
      const [a, b] = sessions as [(typeof sessions)[0], (typeof sessions)[0]];
      const fetchUrl = async (url: string): Promise<string> => textOf(await a.client.callTool({ name: 'fetch', arguments: { url } }));
      expect(await fetchUrl(`https://${ALLOWED}/`)).toBe(`200 target allowed host=${ALLOWED}`);
      expect(await fetchUrl('https://denied.run.test/')).toMatch(/^error (ENOTFOUND|EAI_AGAIN)/);
      expect(await fetchUrl(`http://172.17.0.1:${hostPort}/`)).toMatch(/^error /);
      // serve's sessions run in its own process: each set carries serve's pid as its launcher.
      expect(egressLeftOf(pid).networks).toHaveLength(2);
      await a.transport.terminateSession();
      await eventually(() => containersOfLauncher(pid).length === 1 && egressLeftOf(pid).networks.length === 1, 30_000, 250);
      expect(egressLeftOf(pid).networks).toHaveLength(1);
      expect(textOf(await b.client.callTool({ name: 'fetch', arguments: { url: `https://${ALLOWED}/` } }))).toBe(`200 target allowed host=${ALLOWED}`);
      await b.transport.terminateSession();
      await eventually(() => containersOfLauncher(pid).length === 0 && egressLeftOf(pid).networks.length === 0 && egressLeftOf(pid).containers.length === 0, 30_000, 250);
      expect({ server: containersOfLauncher(pid), ...egressLeftOf(pid) }).toEqual({ server: [], containers: [], networks: [] });
    } finally {
      for (const { client } of sessions) await client.close();
      served.child.kill('SIGTERM');
      await served.exited;
    }
    expect(served.stdout()).toBe('');
  });

  test('a SIGKILLed launcher leaves nothing: the set containers end with its attach, the watchdog removes the network', async () => {
    const child = spawnCli(['run', profile], env);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stdin?.write(INITIALIZE_LINE);
    expect(await eventually(() => out.includes('"egress-fetch-fixture"'), 60_000)).toBe(true);
    const pid = child.pid as number;
    expect(egressLeftOf(pid).containers.length).toBeGreaterThanOrEqual(2);
    const network = docker('network', 'ls', '--format', '{{.Name}}', '--filter', `label=${LABELS.launcherPid}=${pid}`);
    expect(network).toMatch(/^mcp-sandbox-egress-/);
    child.kill('SIGKILL');
    await eventually(() => containersOfLauncher(pid).length === 0 && egressLeftOf(pid).networks.length === 0, 30_000, 250);
    const left = { server: containersOfLauncher(pid), ...egressLeftOf(pid) };
    // What the watchdog did not get to, run's next sweep and gc remove (egress.test.ts covers the sweep).
    await sweepEgressNetworks(engine, { labels: [`${LABELS.launcherPid}=${pid}`] });
    expect(left).toEqual({ server: [], containers: [], networks: [] });
  });

  test('the loopback set (MCP_SANDBOX_EGRESS_LOOPBACK=1): the server has only lo, reaches the allowed name and nothing else; nothing is left', async () => {
    const loopEnv = { ...env, MCP_SANDBOX_EGRESS_LOOPBACK: '1' };
    const session = await connect(profile, { env: loopEnv, runArgs: ['--verbose'] });
    const pid = session.pid() as number;
    const dirsOf = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`${LOOPBACK_DIR_PREFIX}${pid}-`));
    try {
      const server = docker('ps', '-q', '--filter', `label=${LABELS.profile}=egress-run-${RUN}`, '--filter', `label=${LABELS.launcherPid}=${pid}`);
      expect(docker('inspect', '-f', '{{.HostConfig.Runtime}} {{.HostConfig.NetworkMode}}', server)).toMatch(/^runsc\S* none$/);
      // No holder, no egress network: the set lives in the server's own namespace and a relay.
      expect(egressLeftOf(pid).networks).toHaveLength(0);
      expect(dirsOf()).toHaveLength(1);
      const devices = docker('exec', server, 'cat', '/proc/net/dev').split('\n').slice(2).map((l) => l.trim().split(':')[0]);
      expect(devices).toEqual(['lo']);
      const fetchUrl = async (url: string): Promise<string> => textOf(await session.client.callTool({ name: 'fetch', arguments: { url } }));
      expect(await fetchUrl(`https://${ALLOWED}/`)).toBe(`200 target allowed host=${ALLOWED}`);
      expect(await fetchUrl('https://denied.run.test/')).toMatch(/^error (ENOTFOUND|EAI_AGAIN)/);
      expect(await fetchUrl(`https://${targetIp}/`)).toMatch(/^error /);
      expect(await fetchUrl(`http://172.17.0.1:${hostPort}/`)).toMatch(/^error /);
      expect(await fetchUrl(`http://127.0.0.1:${hostPort}/`)).toMatch(/^error /);
    } finally {
      await session.close();
    }
    await eventually(() => containersOfLauncher(pid).length === 0 && egressLeftOf(pid).containers.length === 0 && dirsOf().length === 0, 30_000, 250);
    expect({ server: containersOfLauncher(pid), ...egressLeftOf(pid), dirs: dirsOf() }).toEqual({ server: [], containers: [], networks: [], dirs: [] });
    const records = readdirSync(auditDir)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(path.join(auditDir, f), 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const sessionId = records.find((r) => r.type === 'session-start' && r.launcherPid === pid)?.session;
    expect(typeof sessionId).toBe('string');
    const egress = records.filter((r) => r.type === 'egress' && r.session === sessionId);
    expect(egress).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'connection', name: ALLOWED, port: 443, verdict: 'allowed' })]));
  });
});
