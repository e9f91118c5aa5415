/**
 * The egress allowlist's benchmark (BENCH_EGRESS=1 npm run bench; docs/egress.md): under runsc,
 * paired and alternating,
 *   1. spawn -> `initialize` answered of `mcp-sandbox run` for the same server with
 *      `network: { allow: [...] }` and with `network: none` (target: allow <= 1.25 x none);
 *   2. a 10 MB HTTPS download by the sandboxed server through the proxy vs the same server with
 *      `network: bridge` fetching the target's address (target: throughput >= 0.8 x bridge).
 * The server is test/fixtures/egress/mcp-fetch.cjs in the node test image; the target is a
 * container on a network this script creates (fixtures/egress/target.cjs, a CA made here).
 * Everything it creates carries its label and is removed at the end, and the spare keepers it
 * caused are stopped (they remove their spare sets). The start comparison runs in rounds of
 * three: `none`, the allowlist claiming a spare, the allowlist with spares off; before each start
 * the script waits for a spare to be ready, so no spare is being made while a start is timed.
 *
 * Standalone: `node scripts/bench-egress.mjs` (build first) runs the start comparison alone, with
 * knobs BENCH_EGRESS_PAIRS (rounds, default 5), BENCH_IMAGE (default mcp-sandbox-test/node:local),
 * BENCH_EGRESS_COLD=1 (rounds of `none` and the allowlist with spares off only: the no-spare
 * path), BENCH_LAUNCHER_B (a second launcher script, e.g. a copy of an older build: each round
 * then times the allowlist with spares off under both, alternating, for before/after figures)
 * and BENCH_EGRESS_TRACE=1 (prints each start's `--verbose` lines with ms from spawn).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const RUN = `bench-egress-${process.pid}`;
const LABEL = `mcp-sandbox-test.bench-egress=${RUN}`;
const NAME = 'api.bench.test';

/** @param {string[]} args */
const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** @param {string} dir */
function makeCerts(dir) {
  /** @param {string[]} args */
  const ssl = (...args) => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.pem', '-subj', `/CN=${NAME}`);
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=DNS:${NAME}\n`);
  ssl('x509', '-req', '-in', 'req.pem', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'san.ext');
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) chmodSync(path.join(dir, f), 0o644);
  chmodSync(dir, 0o755);
}

/** @param {string} root @param {string} dir @param {string} image @param {'none' | 'bridge' | 'allow'} mode @param {string} certs */
function profile(root, dir, image, mode, certs) {
  const network = mode === 'allow' ? ['network:', '  allow:', `    - ${NAME}:443`] : [`network: ${mode}`];
  const file = path.join(dir, `bench-egress-${mode}.yaml`);
  writeFileSync(file, [
    'version: 1', `name: bench-egress-${mode}`, `image: ${image}`, 'pull: never', 'user: "10001"',
    'command: [node, /probe/mcp-fetch.cjs]',
    // The bridge variant fetches the target's address, for which the certificate has no name.
    `env: { NODE_EXTRA_CA_CERTS: /certs/ca.pem${mode === 'bridge' ? ', NODE_TLS_REJECT_UNAUTHORIZED: "0"' : ''} }`,
    ...network,
    'filesystem:', '  mounts:', `    - { source: ${path.join(root, 'test/fixtures/egress')}, target: /probe }`, `    - { source: ${certs}, target: /certs }`,
    'resources: { memory: 256m }',
    'justifications: { MS201: benchmark baseline }', '',
  ].join('\n'));
  return file;
}

/**
 * One session: spawn -> initialize, optionally a download; then close.
 * @param {string} bin @param {string} file @param {Record<string, string>} env @param {string} [url]
 * @returns {Promise<{ initialize: number, listed?: number, claimed?: boolean, download?: number, bytes?: number }>}
 */
async function session(bin, file, env, url) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'run', '--verbose', file], env, stderr: 'pipe' });
  let stderr = '';
  const client = new Client({ name: 'bench-egress', version: '1.0.0' });
  const t0 = performance.now();
  transport.stderr?.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.BENCH_EGRESS_TRACE !== '1') return;
    for (const line of String(chunk).split('\n').filter(Boolean)) process.stderr.write(`  ${(performance.now() - t0).toFixed(0).padStart(5)} ${line}\n`);
  });
  await client.connect(transport);
  const initialize = performance.now() - t0;
  try {
    // The first tools/list waits for the proxy too (holdAfterFirstLine): the start as a client sees it.
    await client.listTools();
    const listed = performance.now() - t0;
    if (!url) return { initialize, listed, claimed: /claimed spare egress set/.test(stderr) };
    const result = await client.callTool({ name: 'fetch', arguments: { url, discard: true } }, undefined, { timeout: 120_000 });
    const text = /** @type {Array<{ text?: string }>} */ (result.content)[0]?.text ?? '';
    const m = /^200 bytes=(\d+) ms=([\d.]+)$/.exec(text);
    if (!m) throw new Error(`download answered ${text.slice(0, 200)}`);
    return { initialize, download: Number(m[2]), bytes: Number(m[1]) };
  } finally {
    await client.close();
  }
}

/**
 * Spare keepers (docs/egress.md, "Spare sets") of this bench: the launchers of the spare proxies
 * on its upstream network. @param {string} net @returns {number[]}
 */
function keepersOn(net) {
  const ids = (spawnSync('docker', ['ps', '-aq', '--filter', `network=${net}`, '--filter', 'label=mcp-sandbox.egress-spare'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  return [...new Set(ids.map((id) => Number(spawnSync('docker', ['inspect', '-f', '{{index .Config.Labels "mcp-sandbox.launcher-pid"}}', id], { encoding: 'utf8' }).stdout.trim())))].filter((pid) => pid > 0);
}

/** Waits until a spare proxy on `net` has logged that it listens (the keeper hands out only such sets), at most 30 s. @param {string} net */
async function spareReady(net) {
  for (let i = 0; i < 120; i += 1) {
    const ids = (spawnSync('docker', ['ps', '-q', '--filter', `network=${net}`, '--filter', 'label=mcp-sandbox.egress-spare', '--filter', 'label=mcp-sandbox.egress=proxy'], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
    if (ids.some((id) => /Loading success/.test(spawnSync('docker', ['logs', id], { encoding: 'utf8' }).stderr + spawnSync('docker', ['logs', id], { encoding: 'utf8' }).stdout))) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** @param {number[]} v */
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

/**
 * The target, its network, the user configs and the profiles of one bench run.
 * @param {{ root: string, dir: string, image: string }} o
 */
function setUp(o) {
  const certs = path.join(o.dir, 'egress-certs');
  mkdirSync(certs, { recursive: true });
  makeCerts(certs);
  const net = `${RUN}-up`;
  docker('network', 'create', '--label', LABEL, net);
  docker('run', '-d', '--name', `${RUN}-target`, '--label', LABEL, '--runtime', 'runc', '--network', net, '-v', `${path.join(o.root, 'test/fixtures/egress')}:/probe:ro`, '-v', `${certs}:/certs:ro`, o.image, 'node', '/probe/target.cjs');
  const ip = docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `${RUN}-target`);
  // The bridge variant reaches the target on its own network through the proxy-less default bridge: connect it there too.
  docker('network', 'connect', 'bridge', `${RUN}-target`);
  const bridgeIp = docker('inspect', '-f', '{{(index .NetworkSettings.Networks "bridge").IPAddress}}', `${RUN}-target`);
  const config = path.join(o.dir, 'egress-config.yaml');
  writeFileSync(config, `runtimes: { runsc: { none: runsc, bridge: runsc-net } }\negress: { hosts: { ${NAME}: ${ip} }, network: ${net} }\n`);
  // The same, with spare sets off: every allowlisted start makes its own set (the first start's path).
  const coldConfig = path.join(o.dir, 'egress-config-cold.yaml');
  writeFileSync(coldConfig, `runtimes: { runsc: { none: runsc, bridge: runsc-net } }\negress: { hosts: { ${NAME}: ${ip} }, network: ${net}, spareIdle: 0 }\n`);
  const env = /** @type {Record<string, string>} */ ({ ...process.env, MCP_SANDBOX_CONFIG: config, MCP_SANDBOX_AUDIT_DIR: path.join(o.dir, 'audit') });
  const coldEnv = { ...env, MCP_SANDBOX_CONFIG: coldConfig };
  const files = { none: profile(o.root, o.dir, o.image, 'none', certs), allow: profile(o.root, o.dir, o.image, 'allow', certs), bridge: profile(o.root, o.dir, o.image, 'bridge', certs) };
  return { net, bridgeIp, env, coldEnv, files };
}

/** Stops the spare keepers the bench caused (they remove their sets on SIGTERM), then removes what it created. @param {string} net */
async function tearDown(net) {
  for (const pid of keepersOn(net)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  for (let i = 0; i < 60 && keepersOn(net).length > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 250));
  const ids = (spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  spawnSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
}

/**
 * Runs both comparisons with `pairs` pairs each; returns the report lines.
 * @param {{ root: string, bin: string, dir: string, image: string, pairs: number, log: (line: string) => void }} o
 */
export async function benchEgress(o) {
  try {
    const { net, bridgeIp, env, coldEnv, files } = setUp(o);
    await session(o.bin, files.none, env);
    // The very first allowlisted start: no spare yet (it asks for one once answered).
    const first = await session(o.bin, files.allow, env);
    o.log(`egress first start (no spare yet): allow ${first.initialize.toFixed(0)} ms${first.claimed ? ' (claimed?!)' : ''}`);
    /** @type {{ none: number[], allow: number[], cold: number[], proxied: number[], bridged: number[], ratios: number[], coldRatios: number[], claimed: number }} */
    const r = { none: [], allow: [], cold: [], proxied: [], bridged: [], ratios: [], coldRatios: [], claimed: 0 };
    for (let i = 0; i < o.pairs; i += 1) {
      /** @type {Array<'none' | 'allow' | 'cold'>} */
      const order = i % 2 === 0 ? ['none', 'allow', 'cold'] : ['cold', 'allow', 'none'];
      const got = { none: 0, allow: 0, cold: 0 };
      for (const mode of order) {
        // No spare being made while a start is measured: wait for it first.
        await spareReady(net);
        const one = await session(o.bin, files[mode === 'cold' ? 'allow' : mode], mode === 'cold' ? coldEnv : env);
        got[mode] = one.initialize;
        if (mode === 'allow' && one.claimed) r.claimed += 1;
      }
      r.none.push(got.none);
      r.allow.push(got.allow);
      r.cold.push(got.cold);
      r.ratios.push(got.allow / got.none);
      r.coldRatios.push(got.cold / got.none);
      o.log(`egress start round ${i + 1}/${o.pairs}: none ${got.none.toFixed(0)} ms, allow (spare claimed) ${got.allow.toFixed(0)} ms, allow (no spare) ${got.cold.toFixed(0)} ms`);
    }
    await spareReady(net);
    // BENCH_EGRESS_DOWNLOAD_PAIRS=0 skips the download comparison (the start one alone).
    const downloads = Number(process.env.BENCH_EGRESS_DOWNLOAD_PAIRS ?? o.pairs);
    for (let i = 0; i < downloads; i += 1) {
      await spareReady(net);
      const proxied = await session(o.bin, files.allow, env, `https://${NAME}/big?mb=10`);
      const bridged = await session(o.bin, files.bridge, env, `https://${bridgeIp}/big?mb=10`);
      r.proxied.push(/** @type {number} */ (proxied.download));
      r.bridged.push(/** @type {number} */ (bridged.download));
      o.log(`egress 10 MB pair ${i + 1}/${o.pairs}: proxy ${proxied.download?.toFixed(0)} ms, bridge ${bridged.download?.toFixed(0)} ms`);
    }
    const startRatio = median(r.ratios);
    const throughput = downloads > 0 ? median(r.bridged) / median(r.proxied) : NaN;
    return [
      `Egress (BENCH_EGRESS=1, runsc, ${o.pairs} rounds, medians): spawn -> initialize with an allowlist, spare claimed (${r.claimed}/${o.pairs} claimed), ${median(r.allow).toFixed(0)} ms vs network none ${median(r.none).toFixed(0)} ms, paired ratio ${startRatio.toFixed(2)} (target <= 1.25: ${startRatio <= 1.25 ? 'met' : 'NOT met'}).`,
      `Egress first start (no spare, its own set): ${first.initialize.toFixed(0)} ms; with spares off (egress.spareIdle: 0) ${median(r.cold).toFixed(0)} ms vs none, paired ratio ${median(r.coldRatios).toFixed(2)}.`,
      `10 MB HTTPS download in the server: through the proxy ${median(r.proxied).toFixed(0)} ms vs bridge ${median(r.bridged).toFixed(0)} ms, throughput ratio ${throughput.toFixed(2)} (target >= 0.8: ${throughput >= 0.8 ? 'met' : 'NOT met'}).`,
    ];
  } finally {
    await tearDown(`${RUN}-up`);
  }
}

/**
 * The no-spare path alone (BENCH_EGRESS_COLD=1): rounds of `none` and the allowlist with spares
 * off, and with BENCH_LAUNCHER_B the same allowlist start under that launcher too, the order
 * turning each round. @param {{ root: string, bin: string, binB?: string, dir: string, image: string, pairs: number, log: (line: string) => void }} o
 */
export async function benchEgressCold(o) {
  try {
    const { env, coldEnv, files } = setUp(o);
    await session(o.bin, files.none, env);
    await session(o.bin, files.allow, coldEnv);
    /** @type {Record<'none' | 'a' | 'b', number[]>} */
    const r = { none: [], a: [], b: [] };
    /** @type {Record<'none' | 'a' | 'b', number[]>} */
    const listed = { none: [], a: [], b: [] };
    /** @type {Record<'a' | 'b', number[]>} */
    const ratios = { a: [], b: [] };
    /** @type {Array<'none' | 'a' | 'b'>} */
    const modes = o.binB ? ['none', 'a', 'b'] : ['none', 'a'];
    for (let i = 0; i < o.pairs; i += 1) {
      const order = [...modes.slice(i % modes.length), ...modes.slice(0, i % modes.length)];
      /** @type {Record<string, number>} */
      const got = {};
      /** @type {Record<string, number>} */
      const list = {};
      for (const mode of order) {
        const bin = mode === 'b' ? /** @type {string} */ (o.binB) : o.bin;
        const one = await session(bin, mode === 'none' ? files.none : files.allow, mode === 'none' ? env : coldEnv);
        got[mode] = one.initialize;
        list[mode] = one.listed ?? NaN;
      }
      for (const mode of modes) r[mode].push(got[mode]);
      for (const mode of modes) listed[mode].push(list[mode]);
      ratios.a.push(got.a / got.none);
      if (o.binB) ratios.b.push(got.b / got.none);
      o.log(`round ${i + 1}/${o.pairs} (${order.join(', ')}): initialize ${modes.map((m) => `${m} ${got[m].toFixed(0)}`).join(', ')} ms; tools/list answered ${modes.map((m) => `${m} ${list[m].toFixed(0)}`).join(', ')} ms; load ${loadavg()[0].toFixed(1)}`);
    }
    return [
      `no spare (spareIdle: 0), ${o.pairs} rounds, medians: none ${median(r.none).toFixed(0)} ms, allow ${median(r.a).toFixed(0)} ms (paired ratio ${median(ratios.a).toFixed(2)})` +
        (o.binB ? `, allow under B ${median(r.b).toFixed(0)} ms (paired ratio ${median(ratios.b).toFixed(2)})` : ''),
      `first tools/list answered (medians, ms from spawn): ${modes.map((m) => `${m} ${median(listed[m]).toFixed(0)}`).join(', ')}`,
    ];
  } finally {
    await tearDown(`${RUN}-up`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-egress-'));
  /** @param {string} line */
  const log = (line) => process.stderr.write(`bench-egress: ${line}\n`);
  const o = { root, bin: path.join(root, 'bin', 'mcp-sandbox.js'), dir, image: process.env.BENCH_IMAGE ?? 'mcp-sandbox-test/node:local', pairs: Number(process.env.BENCH_EGRESS_PAIRS ?? 5), log };
  const before = loadavg().map((l) => l.toFixed(1)).join(' ');
  try {
    const binB = process.env.BENCH_LAUNCHER_B ? path.resolve(process.env.BENCH_LAUNCHER_B) : undefined;
    const lines = process.env.BENCH_EGRESS_COLD === '1' || binB ? await benchEgressCold({ ...o, ...(binB ? { binB } : {}) }) : await benchEgress(o);
    for (const line of lines) process.stdout.write(`${line}\n`);
    process.stdout.write(`load average ${before} at the start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
