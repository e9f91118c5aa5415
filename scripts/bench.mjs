#!/usr/bin/env node
// @ts-check
// `npm run bench`: raw `docker run -i` (the argv `render --format json` prints) versus
// `mcp-sandbox run` on the same profile (with the MCP gate, and with MCP_SANDBOX_GATE=off), under runsc and under runc, paired runs in alternating
// order, driven by the MCP SDK's stdio client against server-everything in the local test image.
// Prints a markdown table and writes it into BENCHMARKS.md between the bench markers.
//
// Environment: BENCH_PAIRS (default 7), BENCH_ECHOES (default 200), BENCH_RUNTIMES (default
// "runsc,runc"), BENCH_BIG=0 (no 10 MB echo), BENCH_NO_WRITE=1 (print only), BENCH_WARM=1 (adds the warm start section, scripts/bench-warm.mjs), BENCH_SERVE=1 (adds the serve section, scripts/bench-serve.mjs), BENCH_LAUNCHER (another launcher script, for experiments), BENCH_NODE_FLAGS (node flags for the launcher), BENCH_IMAGE (default mcp-sandbox-test/node:local).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'mcp-sandbox.js');
// The launcher measured against raw docker (render always uses the real CLI): for before/after experiments.
const LAUNCHER = process.env.BENCH_LAUNCHER ? path.resolve(process.env.BENCH_LAUNCHER) : BIN;
// BENCH_NODE_FLAGS: node flags for the launcher's process (space-separated; empty = none), for
// experiments; unset = the flags a client's entry gives it (clientNodeFlags).
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS === undefined ? undefined : process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 7);
const ECHOES = Number(process.env.BENCH_ECHOES ?? 200);
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'runsc,runc').split(',').filter(Boolean);
const IMAGE = process.env.BENCH_IMAGE ?? 'mcp-sandbox-test/node:local';
// BENCH_BIG=0 leaves out the 10 MB echo: peak RSS then compares with runs from before it existed.
const BIG = process.env.BENCH_BIG !== '0';
const ENTRY = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const MB = 1024 * 1024;
const CLOSE_CAP_MS = 20_000;
/** @typedef {'raw' | 'run' | 'off'} Variant */
/** @type {Variant[]} */
const VARIANTS = ['raw', 'run', 'off'];

/** @param {string} line */
const log = (line) => process.stderr.write(`bench: ${line}\n`);

/** @param {string} cmd @param {string[]} args @returns {string} */
function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `unknown (${(r.stderr || r.error?.message || '').trim().split('\n')[0]})`;
}

function machine() {
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return {
    date: sh('date', ['-u']),
    nproc: sh('nproc', []),
    memory: mem ? `${(Number(mem[1]) / 1024 / 1024).toFixed(1)} GiB` : 'unknown',
    kernel: sh('uname', ['-r']),
    runsc: sh('runsc', ['--version']).split('\n')[0],
    dockerd: sh('dockerd', ['--version']),
    docker: sh('docker', ['--version']),
    node: process.version,
  };
}

// --- statistics ------------------------------------------------------------------------------

/** @param {number[]} values @param {number} q @returns {number} */
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const low = /** @type {number} */ (sorted[lo]);
  return low + (/** @type {number} */ (sorted[hi]) - low) * (pos - lo);
}
/** @param {number[]} values */
const median = (values) => quantile(values, 0.5);

// --- one session -----------------------------------------------------------------------------

/** @param {number | undefined} pid @param {string} field @returns {number | undefined} */
function readStatusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @typedef {{ initialize: number, echoP50: number, echoP95: number, mb: number, mb10: number, close: number, rss: number, exit: number | string | null }} SessionFigures
 * @typedef {keyof Omit<SessionFigures, 'exit'>} Metric
 */

/**
 * Starts one server with `command args`, measures it, closes it. All times in ms, RSS in MB.
 * @param {string} command @param {string[]} args @param {Record<string, string>} [env] @returns {Promise<SessionFigures>}
 */
async function session(command, args, env) {
  const transport = new StdioClientTransport({ command, args, stderr: 'pipe', cwd: ROOT, env: { ...getDefaultEnvironment(), ...env } });
  let stderr = '';
  const client = new Client({ name: 'mcp-sandbox-bench', version: '1.0.0' });
  const t0 = performance.now();
  const connecting = client.connect(transport);
  transport.stderr?.on('data', (/** @type {Buffer} */ chunk) => {
    stderr += chunk.toString('utf8');
  });
  let peakRss = 0;
  /** @type {NodeJS.Timeout | undefined} */
  let poll;
  try {
    // Poll VmRSS from the moment the process exists; VmHWM before close is the authoritative peak.
    poll = setInterval(() => {
      const pid = transport.pid;
      if (pid) peakRss = Math.max(peakRss, readStatusKb(pid, 'VmRSS') ?? 0);
    }, 10);
    await connecting;
    const initialize = performance.now() - t0;

    /** @type {number[]} */
    const echoes = [];
    for (let i = 0; i < ECHOES; i += 1) {
      const s = performance.now();
      const result = await client.callTool({ name: 'echo', arguments: { message: `ping ${i}` } });
      echoes.push(performance.now() - s);
      if (i === 0 && !JSON.stringify(result).includes('ping 0')) throw new Error(`unexpected echo answer: ${JSON.stringify(result).slice(0, 200)}`);
    }
    const big = 'x'.repeat(MB);
    /** @type {number[]} */
    const bigTimes = [];
    for (let i = 0; i < 3; i += 1) {
      const s = performance.now();
      const result = await client.callTool({ name: 'echo', arguments: { message: big } }, undefined, { timeout: 60_000 });
      bigTimes.push(performance.now() - s);
      const content = /** @type {Array<{ text?: string }> | undefined} */ (result.content);
      const text = content?.[0]?.text ?? '';
      if (!text.endsWith(big)) throw new Error(`1 MB echo came back with ${text.length} characters`);
    }
    // 10 MB decimal: a 10 MiB echo times out through raw `docker run` too (a limit of the SDK
    // stack in server-everything, not of the launcher), so the largest echo is 10,000,000 bytes.
    let mb10 = Number.NaN;
    if (BIG) {
      const huge = 'y'.repeat(10_000_000);
      const s10 = performance.now();
      const hugeResult = await client.callTool({ name: 'echo', arguments: { message: huge } }, undefined, { timeout: 120_000 });
      mb10 = performance.now() - s10;
      const hugeText = /** @type {Array<{ text?: string }> | undefined} */ (hugeResult.content)?.[0]?.text ?? '';
      if (!hugeText.endsWith(huge)) throw new Error(`10 MB echo came back with ${hugeText.length} characters`);
    }

    const pid = transport.pid;
    const hwm = readStatusKb(pid ?? undefined, 'VmHWM') ?? 0;
    peakRss = Math.max(peakRss, hwm);
    clearInterval(poll);
    poll = undefined;

    // Close: stdin EOF to process exit, on the child itself (the SDK's close() adds its own timers).
    const child = /** @type {{ _process: import('node:child_process').ChildProcessWithoutNullStreams }} */ (/** @type {unknown} */ (transport))._process;
    /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const s = performance.now();
    child.stdin.end();
    /** @type {Promise<undefined>} */
    const cap = new Promise((resolve) => setTimeout(() => resolve(undefined), CLOSE_CAP_MS).unref());
    const exit = await Promise.race([exited, cap]);
    const close = performance.now() - s;
    if (!exit) {
      child.kill('SIGKILL');
      throw new Error(`did not exit within ${CLOSE_CAP_MS / 1000} s of stdin EOF`);
    }
    await client.close().catch(() => undefined);
    return {
      initialize,
      echoP50: median(echoes),
      echoP95: quantile(echoes, 0.95),
      mb: median(bigTimes),
      mb10,
      close,
      rss: peakRss / 1024,
      exit: exit.code ?? exit.signal,
    };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`${command} ${args.slice(0, 3).join(' ')}…: ${/** @type {Error} */ (error).message}\nstderr:\n${stderr.slice(-2000)}`);
  } finally {
    if (poll) clearInterval(poll);
  }
}

// --- profiles --------------------------------------------------------------------------------

/** @param {string} runtime @returns {string} */
function profileText(runtime) {
  return [
    'version: 1',
    `name: bench-everything-${runtime}`,
    'description: server-everything from the local test image (benchmark)',
    `image: ${IMAGE}`,
    'pull: never',
    `runtime: ${runtime}`,
    'entrypoint: [node]',
    `command: [${ENTRY}, stdio]`,
    'user: "10001"',
    // `run` refuses unjustified lint errors; runc is the baseline being measured, not a choice.
    ...(runtime === 'runsc' ? [] : ['justifications:', '  MS101: "benchmark baseline: the same server under runc"']),
    '',
  ].join('\n');
}

/**
 * The node flags of the entry `desktop` writes for this profile (node entries: what the shim
 * execs too), so the launcher is measured as clients start it (src/clients/launcher.ts
 * RUN_NODE_FLAGS).
 * @param {string} profile @param {NodeJS.ProcessEnv} env @returns {string[]}
 */
function clientNodeFlags(profile, env) {
  const out = execFileSync(process.execPath, [BIN, 'desktop', '--client', 'claude-code', profile], { cwd: ROOT, encoding: 'utf8', env: { ...env, MCP_SANDBOX_LAUNCHER: 'node' } });
  const entry = Object.values(JSON.parse(out).mcpServers)[0];
  const at = entry.args.indexOf(BIN);
  if (entry.command !== process.execPath || at < 0) throw new Error(`desktop printed an entry bench.mjs does not know: ${out.slice(0, 300)}`);
  return entry.args.slice(0, at);
}

/** @param {string} profile @param {NodeJS.ProcessEnv} env @returns {string[]} */
function renderArgv(profile, env) {
  const out = execFileSync(process.execPath, [BIN, 'render', profile, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', env });
  const argv = JSON.parse(out);
  if (!Array.isArray(argv) || argv[0] !== 'docker') throw new Error(`render printed ${out.slice(0, 200)}`);
  return argv;
}

/** @param {string} profileName @returns {number} */
function leftovers(profileName) {
  const out = spawnSync('docker', ['ps', '-aq', '--filter', `label=mcp-sandbox.profile=${profileName}`], { encoding: 'utf8' }).stdout ?? '';
  const ids = out.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  return ids.length;
}

// --- lint benchmark (written by the lint developer, optional) ---------------------------------

function lintBench() {
  const script = path.join(ROOT, 'scripts', 'bench-lint.mjs');
  if (!existsSync(script)) return undefined;
  log('running scripts/bench-lint.mjs');
  const r = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  const text = (r.stdout || '').trim();
  if (r.status !== 0) return `scripts/bench-lint.mjs failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').slice(-1)[0] ?? ''}`;
  return text || '(scripts/bench-lint.mjs printed nothing)';
}

// --- warm start benchmark (scripts/bench-warm.mjs, behind BENCH_WARM=1) -----------------------

function warmBench() {
  if (process.env.BENCH_WARM !== '1') return undefined;
  log('running scripts/bench-warm.mjs');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench-warm.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const text = (r.stdout || '').trim();
  return r.status === 0 ? text : `scripts/bench-warm.mjs failed (exit ${r.status})`;
}

// --- serve benchmark (scripts/bench-serve.mjs, behind BENCH_SERVE=1) ---------------------------

function serveBench() {
  if (process.env.BENCH_SERVE !== '1') return undefined;
  log('running scripts/bench-serve.mjs');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench-serve.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const text = (r.stdout || '').trim();
  return r.status === 0 ? text : `scripts/bench-serve.mjs failed (exit ${r.status})`;
}

// --- main ------------------------------------------------------------------------------------

/** @type {Array<[Metric, string, 'ratio' | 'delta']>} */
const METRICS = [
  ['initialize', 'spawn → `initialize` answered (ms)', 'ratio'],
  ['echoP50', 'echo round trip p50 (ms)', 'delta'],
  ['echoP95', 'echo round trip p95 (ms)', 'delta'],
  ['mb', '1 MB echo round trip (ms)', 'ratio'],
  ['mb10', '10 MB echo round trip (ms)', 'ratio'],
  ['close', 'close: stdin EOF → exit (ms)', 'ratio'],
  ['rss', 'peak RSS, launcher vs docker CLI (MB)', 'ratio'],
];

/** @param {number} v */
const fmt = (v) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : 'n/a');

/**
 * @typedef {{ raw: number, run: number, off: number, ratio: number, pairRatio: number, delta: number, offRatio: number, offDelta: number }} Compared
 * @typedef {{ runtime: string, summary: Record<Metric, Compared>, leftovers: number, exits: string[], argv: string[] }} RuntimeResult
 */

/** @param {string} runtime @param {string} dir @returns {Promise<RuntimeResult>} */
async function benchRuntime(runtime, dir) {
  const profile = path.join(dir, `bench-everything-${runtime}.yaml`);
  writeFileSync(profile, profileText(runtime));
  // No user config: the profile's runtime is the engine runtime, for raw and launcher alike.
  const env = { ...process.env, MCP_SANDBOX_CONFIG: path.join(dir, 'no-config.yaml') };
  process.env.MCP_SANDBOX_CONFIG = env.MCP_SANDBOX_CONFIG;
  const argv = renderArgv(profile, env);
  const flags = NODE_FLAGS ?? clientNodeFlags(profile, env);
  log(`${runtime}: launcher started as node ${[...flags, path.relative(ROOT, LAUNCHER)].join(' ')} run <profile>`);
  const base = { MCP_SANDBOX_CONFIG: env.MCP_SANDBOX_CONFIG };
  /** @type {Record<Variant, { command: string, args: string[], env: Record<string, string> }>} */
  const variants = {
    raw: { command: /** @type {string} */ (argv[0]), args: argv.slice(1), env: base },
    run: { command: process.execPath, args: [...flags, LAUNCHER, 'run', profile], env: base },
    off: { command: process.execPath, args: [...flags, LAUNCHER, 'run', profile], env: { ...base, MCP_SANDBOX_GATE: 'off' } },
  };
  const measure = (/** @type {Variant} */ w) => session(variants[w].command, variants[w].args, variants[w].env);
  log(`${runtime}: warm-up`);
  for (const w of VARIANTS) await measure(w);
  /** @type {Record<Variant, SessionFigures[]>} */
  const results = { raw: [], run: [], off: [] };
  for (let i = 0; i < PAIRS; i += 1) {
    // Each variant goes first, second and third in turn: the machine's state is shared fairly.
    const order = VARIANTS.map((_, k) => /** @type {Variant} */ (VARIANTS[(i + k) % VARIANTS.length]));
    for (const which of order) results[which].push(await measure(which));
    const last = (/** @type {Variant} */ w) => /** @type {SessionFigures} */ (results[w][results[w].length - 1]);
    log(`${runtime} round ${i + 1}/${PAIRS} (${order.join(', ')}): initialize raw ${fmt(last('raw').initialize)} ms, run ${fmt(last('run').initialize)} ms, gate off ${fmt(last('off').initialize)} ms; rss run ${fmt(last('run').rss)} MB, off ${fmt(last('off').rss)} MB`);
  }
  const left = leftovers(`bench-everything-${runtime}`);
  const summary = /** @type {Record<Metric, Compared>} */ ({});
  for (const [key] of METRICS) {
    const raw = median(results.raw.map((r) => r[key]));
    const run = median(results.run.map((r) => r[key]));
    const off = median(results.off.map((r) => r[key]));
    // Per-round ratios, then their median: a round's sessions share the machine's state.
    const pairRatio = median(results.raw.map((r, i) => /** @type {SessionFigures} */ (results.run[i])[key] / r[key]));
    summary[key] = { raw, run, off, ratio: run / raw, pairRatio, delta: run - raw, offRatio: run / off, offDelta: run - off };
  }
  const exits = [...new Set([...results.raw, ...results.run, ...results.off].map((r) => String(r.exit)))];
  return { runtime, summary, leftovers: left, exits, argv };
}

/** @param {RuntimeResult[]} all @returns {string} */
function table(all) {
  const head = ['metric'];
  const sep = ['---'];
  for (const { runtime } of all) {
    head.push(`${runtime} raw`, `${runtime} run`, `${runtime} gate off`, `${runtime} run/raw`, `${runtime} run/gate off`);
    sep.push('---:', '---:', '---:', '---:', '---:');
  }
  const rows = [`| ${head.join(' | ')} |`, `| ${sep.join(' | ')} |`];
  for (const [key, label, kind] of METRICS) {
    const cells = [label];
    for (const { summary } of all) {
      const s = summary[key];
      const delta = (/** @type {number} */ d) => `${d >= 0 ? '+' : ''}${fmt(d)} ms`;
      cells.push(fmt(s.raw), fmt(s.run), fmt(s.off), kind === 'delta' ? delta(s.delta) : `${s.ratio.toFixed(2)}×`, kind === 'delta' ? delta(s.offDelta) : `${s.offRatio.toFixed(2)}×`);
    }
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** @param {RuntimeResult[]} all @returns {string} */
function verdicts(all) {
  /** @type {string[]} */
  const lines = [];
  for (const { runtime, summary } of all) {
    const initTarget = runtime === 'runc' ? 1.1 : 1.05;
    const check = (/** @type {boolean} */ ok, /** @type {string} */ text) => lines.push(`- ${ok ? '✓' : '✗'} ${runtime}: ${text}`);
    check(summary.initialize.ratio <= initTarget, `initialize ratio ${summary.initialize.ratio.toFixed(3)} (median of per-pair ratios ${summary.initialize.pairRatio.toFixed(3)}; target ≤ ${initTarget})`);
    check(summary.echoP50.delta <= 0.2, `echo p50 ${summary.echoP50.delta >= 0 ? '+' : ''}${summary.echoP50.delta.toFixed(3)} ms vs raw (target ≤ +0.2 ms)`);
    check(summary.echoP50.offDelta <= 0.1, `gate: echo p50 ${summary.echoP50.offDelta >= 0 ? '+' : ''}${summary.echoP50.offDelta.toFixed(3)} ms vs gate off (target ≤ +0.1 ms)`);
    check(summary.mb.offRatio <= 1.1, `gate: 1 MB echo ${summary.mb.offRatio.toFixed(3)}× gate off (target ≤ 1.1)`);
    check(summary.mb10.offRatio <= 1.1, `gate: 10 MB echo ${summary.mb10.offRatio.toFixed(3)}× gate off (target ≤ 1.1)`);
    check(summary.rss.run <= 55, `launcher peak RSS with the gate ${summary.rss.run.toFixed(1)} MB (target ≤ 55 MB; gate off ${summary.rss.off.toFixed(1)} MB, target ≤ 50; docker CLI ${summary.rss.raw.toFixed(1)} MB)`);
    check(summary.rss.off <= 50, `launcher peak RSS, gate off ${summary.rss.off.toFixed(1)} MB (target ≤ 50 MB)`);
  }
  return lines.join('\n');
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js missing: run `npm run build` first');
  const m = machine();
  const loadBefore = loadavg().map((l) => l.toFixed(1)).join(' ');
  log(`${PAIRS} pairs per runtime, ${ECHOES} echoes per session, runtimes ${RUNTIMES.join(', ')}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-'));
  /** @type {RuntimeResult[]} */
  const all = [];
  try {
    for (const runtime of RUNTIMES) all.push(await benchRuntime(runtime, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  /** @type {string[]} */
  let egress = [];
  if (process.env.BENCH_EGRESS === '1') {
    const dirEgress = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-egress-'));
    try {
      const { benchEgress } = await import('./bench-egress.mjs');
      egress = await benchEgress({ root: ROOT, bin: LAUNCHER, dir: dirEgress, image: IMAGE, pairs: Number(process.env.BENCH_EGRESS_PAIRS ?? PAIRS), log });
    } finally {
      rmSync(dirEgress, { recursive: true, force: true });
    }
  }
  const loadAfter = loadavg().map((l) => l.toFixed(1)).join(' ');
  const lint = lintBench();
  const warm = warmBench();
  const served = serveBench();
  const section = [
    `Run of ${m.date}: ${PAIRS} rounds per runtime (raw, run and run with the gate off, each first in turn), ${ECHOES} echoes, 3 × 1 MB echoes${BIG ? ' and one 10 MB echo' : ''} per session, after one warm-up round; medians.`,
    '',
    `Machine: ${m.nproc} CPUs, ${m.memory}, kernel ${m.kernel}, ${m.runsc}, ${m.dockerd}, client ${m.docker}, node ${m.node}. Load average (1/5/15 min) ${loadBefore} at the start, ${loadAfter} at the end: other work on the machine shifts absolute figures, the paired ratios less.`,
    '',
    'raw = `docker run -i` with the argv of `mcp-sandbox render <profile> --format json`; run = `mcp-sandbox run <profile>`, started as a client\'s entry starts it (node with the entry\'s flags, src/clients/launcher.ts `RUN_NODE_FLAGS`), with the MCP gate (its defaults: secret masking, roots, audit log); gate off = the same with `MCP_SANDBOX_GATE=off` (the warm-up run fills the profile cache, so measured runs hit it, like every start of a profile after its first). Profile: server-everything (`stdio`) in `' + IMAGE + '`, user 10001, the hardened defaults; the runc column uses a copy with `runtime: runc`.',
    '',
    table(all),
    '',
    'Targets:',
    '',
    verdicts(all),
    '',
    ...(egress.length ? [...egress, ''] : []),
    `Exit codes seen: ${[...new Set(all.flatMap((a) => a.exits))].join(', ')}; containers left behind: ${all.reduce((n, a) => n + a.leftovers, 0)}.`,
    ...(lint === undefined ? [] : ['', '### Lint benchmark (`scripts/bench-lint.mjs`)', '', '```', lint, '```']),
    ...(warm === undefined ? [] : ['', '### Warm start (`BENCH_WARM=1`, scripts/bench-warm.mjs)', '', warm]),
    ...(served === undefined ? [] : ['', '### serve (`BENCH_SERVE=1`, scripts/bench-serve.mjs)', '', served]),
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (process.env.BENCH_NO_WRITE === '1') return;
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n\`npm run bench\` (scripts/bench.mjs) rewrites the section between the markers.\n\n${start}\n${end}\n`;
  if (!text.includes(start) || !text.includes(end)) text += `\n${start}\n${end}\n`;
  text = `${text.slice(0, text.indexOf(start) + start.length)}\n${section}\n${text.slice(text.indexOf(end))}`;
  writeFileSync(file, text);
  log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
