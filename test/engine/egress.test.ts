/**
 * The egress allowlist on the real engine (docs/egress.md): a sandboxed node "server" under
 * runsc shares the namespace of the egress set and probes a fake internet this test builds on
 * this machine: every target is a container on a test network or a listener on the host.
 *
 *   up   192.88.99.0/24 (the retired 6to4 relay block: not a refused range, never routed
 *        here beyond the bridge): target .10 (HTTP 80, HTTPS 443 with the test CA, TCP echo
 *        5432) and a dnsmasq at .53 that logs every query it gets
 *   priv a private subnet: a target for the rebinding refusal and egress.hosts
 *   ll   169.254.123.0/24: the link-local (metadata) stand-in
 *   host a net.Server on 0.0.0.0
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { build } from 'esbuild';
import { resolveEndpoint } from '../../src/engine/endpoint.js';
import { HttpEngineClient } from '../../src/engine/http-client.js';
import { parseAllow } from '../../src/egress/allow.js';
import type { EgressEvent } from '../../src/egress/events.js';
import { planEgress } from '../../src/egress/plan.js';
import { egressShellCommands } from '../../src/egress/render.js';
import { startEgress, type EgressSession, type EgressTimings } from '../../src/egress/start.js';
import { sweepEgressNetworks } from '../../src/egress/sweep.js';
import { LABELS } from '../../src/labels.js';
import { NODE_IMAGE, ROOT, describeEngine, eventually, tempDir } from './helpers/engine.js';
import { makeTestCerts } from './helpers/test-certs.js';

jest.setTimeout(180_000);

const EGRESS_IMAGE = 'mcp-sandbox/egress:local';
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'egress');
const RUN = `h7e${process.pid}${Date.now().toString(36).slice(-4)}`;
const TEST_LABEL = `mcp-sandbox-test.egress=${RUN}`;
const NET = { up: `${RUN}-up`, priv: `${RUN}-priv`, ll: `${RUN}-ll` };
const UP_TARGET = '192.88.99.10';
const UP_DNS = '192.88.99.53';
const LL_TARGET = '169.254.123.10';
const NAMES = ['api.allowed.test', 'cdn.test', '*.cdn.test', '*.b.cdn.test', 'private.test', 'mapped.test', 'meta.test', 'denied.test'];

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }).trim();
}


function ipOn(container: string, network: string): string {
  return docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container);
}

/** The host's address on a network: its bridge interface's (internal networks name no gateway). */
function gatewayOf(network: string): string {
  const id = docker('network', 'inspect', '-f', '{{.Id}}', network).slice(0, 12);
  const address = os.networkInterfaces()[`br-${id}`]?.find((a) => a.family === 'IPv4')?.address;
  if (!address) throw new Error(`no host address on ${network}`);
  return address;
}

/** A container's log, stdout and stderr (dnsmasq logs to stderr). */
function logsOf(container: string): string {
  const result = spawnSync('docker', ['logs', container], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}

type Check = Record<string, unknown>;
type Result = { address?: string; error?: string; status?: number; body?: string; result?: string; reply?: string; bytes?: number; ms?: number };

/** Runs the probe under runsc (gVisor, host stack) in `networkArgs`; no proxy variables set. */
function probe(networkArgs: string[], checks: Check[], extra: string[] = []): Result[] {
  const out = docker(
    'run', '--rm', '--runtime', 'runsc-net', ...networkArgs, '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--read-only', '--user', '10001', '--memory', '256m', '--pids-limit', '256', '--label', TEST_LABEL,
    '-e', `PROBE_CHECKS=${JSON.stringify(checks)}`, '-e', 'NODE_EXTRA_CA_CERTS=/certs/ca.pem',
    '-v', `${FIXTURES}:/probe:ro`, '-v', `${certDir}:/certs:ro`, ...extra, NODE_IMAGE, 'node', '/probe/probe.cjs',
  );
  return JSON.parse(out.split('\n').pop() as string) as Result[];
}

let certDir = '';
let privTarget = '';
let hostServer: net.Server | undefined;
let hostPort = 0;
let session: EgressSession | undefined;
const events: EgressEvent[] = [];
const engine = new HttpEngineClient(resolveEndpoint());
const sandbox = (): string[] => ['--network', (session as EgressSession).networkMode];

function startTarget(name: string, network: string, ip: string | undefined, label: string): void {
  docker(
    'run', '-d', '--name', name, '--label', TEST_LABEL, '--runtime', 'runc', '--network', network, ...(ip ? ['--ip', ip] : []),
    '-e', `TARGET_NAME=${label}`, '-v', `${FIXTURES}:/probe:ro`, '-v', `${certDir}:/certs:ro`, NODE_IMAGE, 'node', '/probe/target.cjs',
  );
}

async function setUp(): Promise<void> {
  certDir = tempDir('mcp-sandbox-egress-certs-');
  makeTestCerts(certDir, 'egress test CA', NAMES);
  docker('network', 'create', '--label', TEST_LABEL, '--subnet', '192.88.99.0/24', NET.up);
  docker('network', 'create', '--label', TEST_LABEL, NET.priv);
  docker('network', 'create', '--label', TEST_LABEL, '--subnet', '169.254.123.0/24', NET.ll);
  startTarget(`${RUN}-target`, NET.up, UP_TARGET, 'up');
  startTarget(`${RUN}-private`, NET.priv, undefined, 'private');
  startTarget(`${RUN}-ll`, NET.ll, LL_TARGET, 'link-local');
  privTarget = ipOn(`${RUN}-private`, NET.priv);
  docker(
    'run', '-d', '--name', `${RUN}-dns`, '--label', TEST_LABEL, '--runtime', 'runc', '--network', NET.up, '--ip', UP_DNS, EGRESS_IMAGE,
    'dnsmasq', '-k', '--pid-file=', '--user=root', '--no-resolv', '--no-hosts', '--log-queries', '--log-facility=-',
    `--address=/api.allowed.test/${UP_TARGET}`, `--address=/cdn.test/${UP_TARGET}`, `--address=/db.test/${UP_TARGET}`,
    `--address=/denied.test/${UP_TARGET}`, `--address=/private.test/${privTarget}`, `--address=/meta.test/${LL_TARGET}`,
  );
  hostServer = net.createServer((socket) => socket.end('host service\n'));
  await new Promise<void>((resolve) => hostServer?.listen(0, '0.0.0.0', resolve));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  const parsed = parseAllow(
    ['api.allowed.test:443', 'api.allowed.test:80', '*.cdn.test:443', 'private.test:443', 'meta.test:443', 'mapped.test:443', 'db.test:5432/tcp', `${privTarget}:5432/tcp`],
    { 'mapped.test': privTarget },
  );
  expect(parsed.problems).toEqual([]);
  session = await startEgress({
    engine,
    plan: planEgress(parsed.entries, parsed.hosts),
    sessionId: RUN,
    upstreamNetwork: NET.up,
    upstreamDns: [UP_DNS],
    labels: { [LABELS.profile]: `egress-test-${RUN}`, [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: os.hostname(), 'mcp-sandbox-test.egress': RUN },
    sink: (event) => events.push(event),
    // For measurements only: the proxy under another runtime (default: runsc-net).
    proxyRuntime: process.env.MCP_SANDBOX_EGRESS_PROXY_RUNTIME,
  });
  // The proxy could reach the private and link-local targets if it did not refuse them.
  docker('network', 'connect', NET.priv, session.proxyId);
  docker('network', 'connect', NET.ll, session.proxyId);
  process.stderr.write(`egress timings (ms from start): ${JSON.stringify(session.timings)}\n`);
}

function tearDown(): void {
  hostServer?.close();
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${TEST_LABEL}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  for (const name of Object.values(NET)) spawnSync('docker', ['network', 'rm', name], { stdio: 'ignore' });
  engine.close();
}

describeEngine('egress allowlist (real engine, server under runsc)', () => {
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      await session?.stop().catch(() => undefined);
      throw error;
    }
  });
  afterAll(async () => {
    await session?.stop().catch(() => undefined);
    tearDown();
  });

  test('an allowed name is reached by fetch without proxy variables, TLS end to end; wildcards cover subdomains only', async () => {
    const [https, http, sub, deep, apex] = probe(sandbox(), [
      { op: 'fetch', url: 'https://api.allowed.test/' },
      { op: 'fetch', url: 'http://api.allowed.test/' },
      { op: 'fetch', url: 'https://x.cdn.test/' },
      { op: 'fetch', url: 'https://a.b.cdn.test/' },
      { op: 'lookup', name: 'cdn.test' },
    ]);
    expect(https).toEqual({ status: 200, body: 'target up host=api.allowed.test' });
    expect(http).toEqual({ status: 200, body: 'target up host=api.allowed.test' });
    expect(sub).toEqual({ status: 200, body: 'target up host=x.cdn.test' });
    expect(deep).toEqual({ status: 200, body: 'target up host=a.b.cdn.test' });
    expect(apex?.error).toBe('ENOTFOUND');
    // haproxy logs a connection when it ends: shortly after the probe's exit.
    const isAllowed = (e: EgressEvent): boolean => e.kind === 'connection' && e.name === 'api.allowed.test' && e.port === 443;
    await eventually(() => events.some(isAllowed), 5_000);
    const allowed = events.find(isAllowed);
    expect(allowed).toMatchObject({ verdict: 'allowed', upstream: `${UP_TARGET}:443` });
    expect(allowed?.kind === 'connection' && allowed.bytesIn > 0 && allowed.bytesOut > 0).toBe(true);
  });

  test('a client that honours HTTPS_PROXY reaches an allowed name through the CONNECT proxy; a denied one gets 403, recorded', async () => {
    const env = (session as EgressSession).env;
    expect(env).toContain('HTTPS_PROXY=http://127.0.0.11:3128');
    const [allowed, sub, denied, priv] = probe(
      sandbox(),
      [
        { op: 'proxyFetch', url: 'https://api.allowed.test/' },
        { op: 'proxyFetch', url: 'https://x.cdn.test/' },
        { op: 'proxyFetch', url: 'https://denied.test/' },
        // Allowed by name, but it resolves to a private address: the proxy behind still refuses it.
        { op: 'proxyFetch', url: 'https://private.test/' },
      ],
      env.flatMap((e) => ['-e', e]),
    );
    expect(allowed).toEqual({ status: 200, body: 'target up host=api.allowed.test' });
    expect(sub).toEqual({ status: 200, body: 'target up host=x.cdn.test' });
    expect(denied).toEqual({ proxyStatus: 403 });
    expect(priv?.status).toBeUndefined();
    const refusedConnect = (e: EgressEvent): boolean => e.kind === 'connection' && e.via === 'connect' && e.name === 'denied.test';
    expect(await eventually(() => events.some(refusedConnect), 5_000)).toBe(true);
    expect(events.find(refusedConnect)).toMatchObject({ verdict: 'refused-name', port: 443 });
    // The upstream DNS server never saw the denied name: tinyproxy refused before resolving.
    expect(logsOf(`${RUN}-dns`)).not.toMatch(/denied\.test/);
  });

  test('a denied name does not resolve and the query never reaches the upstream DNS server', async () => {
    const [denied, exfil, allowedHere, fetched] = probe(sandbox(), [
      { op: 'lookup', name: 'denied.test' },
      { op: 'lookup', name: 'c2VjcmV0.exfil.denied.test' },
      { op: 'lookup', name: 'api.allowed.test' },
      { op: 'fetch', url: 'https://api.allowed.test/' },
    ]);
    expect(fetched?.status).toBe(200);
    expect(denied?.error).toBe('ENOTFOUND');
    expect(exfil?.error).toBe('ENOTFOUND');
    expect(allowedHere?.address).toBe('198.18.0.1');
    const upstreamLog = logsOf(`${RUN}-dns`);
    expect(upstreamLog).toMatch(/query\[A\] api\.allowed\.test/); // the log works: the proxy's lookups are there
    expect(upstreamLog).not.toMatch(/denied\.test|exfil/);
    await eventually(() => events.some((e) => e.kind === 'dns-refused' && e.name === 'c2vjcmv0.exfil.denied.test'), 5_000);
    expect(events.filter((e) => e.kind === 'dns-refused').map((e) => e.name)).toContain('c2vjcmv0.exfil.denied.test'); // as dnsmasq logs it
  });

  test('IP literals, the link-local stand-in and other containers are unreachable', () => {
    const results = probe(sandbox(), [
      { op: 'connect', host: UP_TARGET, port: 443 },
      { op: 'connect', host: UP_TARGET, port: 80 },
      { op: 'connect', host: LL_TARGET, port: 80 },
      { op: 'connect', host: privTarget, port: 80 },
      { op: 'connect', host: UP_DNS, port: 53 },
      { op: 'connect', host: (session as EgressSession).proxyAddress, port: 10000 + 1 },
    ]);
    // The last one: the proxy's own listeners are reachable only through the translated names.
    expect(results.map((r) => r.result)).toEqual(['timeout', 'timeout', 'timeout', 'timeout', 'timeout', 'timeout']);
  });

  test('the host listener on 0.0.0.0 is unreachable through every host address (and reachable without the firewall)', () => {
    const internalGateway = gatewayOf(`mcp-sandbox-egress-${RUN}`);
    const hostAddresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === 'IPv4' && !a.internal)
      .map((a) => a.address);
    const targets = [...new Set([internalGateway, gatewayOf(NET.up), '172.17.0.1', ...hostAddresses])];
    const results = probe(sandbox(), targets.map((host) => ({ op: 'connect', host, port: hostPort })));
    expect(Object.fromEntries(targets.map((t, i) => [t, results[i]?.result]))).toEqual(Object.fromEntries(targets.map((t) => [t, 'timeout'])));
    const v6 = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === 'IPv6' && !a.internal && !a.address.startsWith('fe80'))
      .map((a) => a.address);
    const v6Results = probe(sandbox(), v6.map((host) => ({ op: 'connect', host, port: hostPort })));
    for (const r of v6Results) expect(r.result).not.toBe('connected');
    // Control: a container on the same internal network without our firewall does reach it.
    const [control] = probe(['--network', `mcp-sandbox-egress-${RUN}`], [{ op: 'connect', host: internalGateway, port: hostPort }]);
    expect(control?.result).toBe('connected');
  });

  test('a process in the sandbox cannot change the rules (root, every capability dropped, even under runc)', () => {
    const holder = (session as EgressSession).networkMode;
    const attempt = spawnSync(
      'docker',
      ['run', '--rm', '--runtime', 'runc', '--network', holder, '--cap-drop', 'ALL', '--user', '0', '--label', TEST_LABEL, EGRESS_IMAGE, 'sh', '-c', 'iptables -P OUTPUT ACCEPT && iptables -t nat -F && echo changed'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(attempt.status).not.toBe(0);
    expect(attempt.stdout).not.toContain('changed');
    expect(attempt.stderr).toMatch(/Permission denied|Operation not permitted/);
    const [stillClosed] = probe(sandbox(), [{ op: 'connect', host: gatewayOf(`mcp-sandbox-egress-${RUN}`), port: hostPort }]);
    expect(stillClosed?.result).toBe('timeout');
  });

  test('the holder keeps no capability once it runs: every process in it is nobody with empty capability sets', () => {
    const holder = (session as EgressSession).holderId;
    // Read inside, with shell builtins only, so the reading shell is the one process to leave out.
    const script = [
      'self=$$',
      'for d in /proc/[0-9]*; do',
      '  p=${d#/proc/}; [ "$p" = "$self" ] && continue; line="pid:$p"',
      '  while read -r k v rest; do case $k in Name:|PPid:|Uid:|CapInh:|CapPrm:|CapEff:|CapBnd:|CapAmb:) line="$line $k$v";; esac; done <"$d/status"',
      '  echo "$line"',
      'done',
    ].join('\n');
    const out = docker('exec', '--user', '65534:65534', holder, 'sh', '-c', script);
    const processes = out.split('\n').filter(Boolean).map((line) => Object.fromEntries(line.split(' ').map((f) => f.split(':') as [string, string])));
    // dnsmasq, the entrypoint (pid 1, after setpriv) and its stdin watcher.
    expect(processes.map((p) => p.Name).sort()).toEqual(expect.arrayContaining(['cat', 'dnsmasq', 'entry.sh']));
    expect(processes.find((p) => p.pid === '1')?.Name).toBe('entry.sh');
    const zero = '0000000000000000';
    for (const p of processes) expect(p).toMatchObject({ Uid: '65534', CapInh: zero, CapPrm: zero, CapEff: zero, CapBnd: zero, CapAmb: zero });
    // The container was given NET_ADMIN: the sets are empty because the entrypoint gave it up.
    expect(docker('inspect', '-f', '{{.HostConfig.CapAdd}}', holder)).toContain('NET_ADMIN');
  });

  test('an allowed name resolving to a private or link-local address is refused by the proxy, unless mapped in egress.hosts', async () => {
    const [priv, meta, mapped] = probe(sandbox(), [
      { op: 'fetch', url: 'https://private.test/' },
      { op: 'fetch', url: 'https://meta.test/' },
      { op: 'fetch', url: 'https://mapped.test/' },
    ]);
    expect(priv?.status).toBeUndefined();
    expect(meta?.status).toBeUndefined();
    expect(mapped).toEqual({ status: 200, body: 'target private host=mapped.test' });
    const verdict = (name: string): string | undefined => {
      const e = events.find((x) => x.kind === 'connection' && x.name === name);
      return e?.kind === 'connection' ? e.verdict : undefined;
    };
    expect(await eventually(() => verdict('private.test') !== undefined && verdict('meta.test') !== undefined, 5_000)).toBe(true);
    expect([verdict('private.test'), verdict('meta.test'), verdict('mapped.test')]).toEqual(['refused-private', 'refused-private', 'allowed']);
  });

  test('/tcp entries forward by port: a name through the upstream DNS, and a listed address', () => {
    const [byName, byAddress, otherPort] = probe(sandbox(), [
      { op: 'echo', host: 'db.test', port: 5432 },
      { op: 'echo', host: privTarget, port: 5432 },
      { op: 'connect', host: 'db.test', port: 5433 },
    ]);
    expect(byName).toEqual({ reply: 'echo ping' });
    expect(byAddress).toEqual({ reply: 'echo ping' });
    expect(otherPort?.result).toBe('timeout');
  });

  test('measure: a 10 MB download through the proxy vs a plain container on the upstream network', () => {
    const url = 'https://api.allowed.test/big?mb=10';
    const runs = (args: string[], extra: string[] = []): number[] =>
      [0, 1, 2, 3, 4].map(() => {
        const [r] = probe(args, [{ op: 'download', url }], extra);
        expect(r?.bytes).toBe(10 * 1024 * 1024);
        return r?.ms as number;
      });
    const proxied = runs(sandbox());
    const direct = runs(['--network', NET.up], ['--add-host', `api.allowed.test:${UP_TARGET}`]);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    process.stderr.write(`10 MB download ms, median of 5: proxy ${median(proxied)} (${proxied.join(', ')}), bridge ${median(direct)} (${direct.join(', ')})\n`);
  });

  test('measure: spawn -> ready of the egress set, three times', async () => {
    const parsed = parseAllow(['api.allowed.test:443']);
    const timings: EgressTimings[] = [];
    for (const n of [1, 2, 3]) {
      const set = await startEgress({
        engine, plan: planEgress(parsed.entries), sessionId: `${RUN}m${n}`, upstreamNetwork: NET.up, upstreamDns: [UP_DNS],
        labels: { [LABELS.launcherPid]: String(process.pid), [LABELS.launcherHost]: os.hostname(), 'mcp-sandbox-test.egress': RUN },
      });
      timings.push(set.timings);
      await set.stop();
    }
    const totals = timings.map((t) => t.total).sort((a, b) => a - b);
    process.stderr.write(`egress spawn->ready ms: median ${totals[1]} of ${totals.join(', ')}; parts: ${JSON.stringify(timings)} (load ${os.loadavg()[0]?.toFixed(1)})\n`);
    expect(totals.every((t) => t > 0)).toBe(true);
  });

  test('the shell form (render --format shell) builds a working set by hand', () => {
    const sessionId = `${RUN}s`;
    const parsed = parseAllow(['api.allowed.test:443']);
    const commands = egressShellCommands(planEgress(parsed.entries), {
      sessionId, upstreamNetwork: NET.up, upstreamDns: [UP_DNS], labels: { 'mcp-sandbox-test.egress': RUN },
    });
    const network = `mcp-sandbox-egress-${sessionId}`;
    try {
      execFileSync('bash', ['-euc', commands.join('\n')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
      const [allowed, denied, host] = probe(['--network', `container:${network}-dns`], [
        { op: 'fetch', url: 'https://api.allowed.test/' },
        { op: 'lookup', name: 'denied.test' },
        { op: 'connect', host: gatewayOf(network), port: hostPort },
      ]);
      expect(allowed).toEqual({ status: 200, body: 'target up host=api.allowed.test' });
      expect(denied?.error).toBe('ENOTFOUND');
      expect(host?.result).toBe('timeout');
    } finally {
      spawnSync('docker', ['rm', '-f', `${network}-dns`, `${network}-proxy`], { stdio: 'ignore' });
      spawnSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
    }
  });

  test('stop() leaves nothing behind; a SIGKILLed launcher leaves only a network the sweep removes', async () => {
    const mine = (): string[] => spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.egressSession}=${RUN}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(mine().length).toBe(2); // holder and proxy, nothing else
    await session?.stop();
    session = undefined;
    expect(mine()).toEqual([]);
    expect(docker('network', 'ls', '-q', '--filter', `label=${LABELS.egressSession}=${RUN}`)).toBe('');
    await killedLauncherLeavesNoContainers();
  });
});

/** A launcher in a child process starts an egress set and is SIGKILLed; the engine cleans up. */
async function killedLauncherLeavesNoContainers(): Promise<void> {
  const dir = tempDir('mcp-sandbox-egress-launcher-');
  const entry = path.join(dir, 'launcher.ts');
  const sessionId = `${RUN}k`;
  writeFileSync(
    entry,
    [
      `import os from 'node:os';`,
      `import { HttpEngineClient } from '${ROOT}/src/engine/http-client.js';`,
      `import { resolveEndpoint } from '${ROOT}/src/engine/endpoint.js';`,
      `import { parseAllow } from '${ROOT}/src/egress/allow.js';`,
      `import { planEgress } from '${ROOT}/src/egress/plan.js';`,
      `import { startEgress } from '${ROOT}/src/egress/start.js';`,
      `const parsed = parseAllow(['api.allowed.test:443']);`,
      `await startEgress({ engine: new HttpEngineClient(resolveEndpoint()), plan: planEgress(parsed.entries), sessionId: '${sessionId}',`,
      `  upstreamNetwork: '${NET.up}', upstreamDns: ['${UP_DNS}'],`,
      `  labels: { '${LABELS.launcherPid}': String(process.pid), '${LABELS.launcherHost}': os.hostname(), 'mcp-sandbox-test.egress': '${RUN}' } });`,
      `process.stdout.write('ready\\n');`,
      `setInterval(() => undefined, 1000);`,
    ].join('\n'),
  );
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: path.join(dir, 'launcher.mjs'), logLevel: 'silent' });
  const child = spawn(process.execPath, [path.join(dir, 'launcher.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => (String(d).includes('ready') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`launcher exited ${code}`)));
  });
  const theirs = (): string[] =>
    spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABELS.egressSession}=${sessionId}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  expect(theirs().length).toBe(2);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(await eventually(() => theirs().length === 0, 20_000, 250)).toBe(true);
  const network = `mcp-sandbox-egress-${sessionId}`;
  expect(docker('network', 'ls', '-q', '--filter', `name=^${network}$`)).not.toBe('');
  const swept = await sweepEgressNetworks(engine);
  expect(swept).toContain(network);
  expect(docker('network', 'ls', '-q', '--filter', `name=^${network}$`)).toBe('');
}
