#!/usr/bin/env node
// @ts-check
// serve benchmark (docs/serve.md, issue 14), run by `BENCH_SERVE=1 npm run bench` or alone:
// the same profile (server-everything under runsc) through `mcp-sandbox run` (stdio) and through
// `mcp-sandbox serve` (Streamable HTTP, responses as SSE), with two kinds of client, one session
// each per round in rotating order: connect → `initialize` answered, then echo round trips (p50).
// - SDK: the MCP TypeScript SDK's clients (StdioClientTransport, StreamableHTTPClientTransport),
//   what SDK-based clients see; the HTTP one costs far more per call than the stdio one, in the
//   client, whatever the server (BENCHMARKS.md, "serve").
// - lean: a minimal client of each transport (JSON lines on a pipe; node:http with a keep-alive
//   agent, one POST per call, its SSE answer read whole): the difference is what serve itself
//   adds; with it the CPU per echo of run's launcher and of serve (/proc/<pid>/stat), steadier
//   than wall time on a busy machine.
// Then N sessions at once against one serve, each echoing once, all removed at the end. Prints a
// markdown section on stdout. Environment: BENCH_SERVE_ROUNDS (default 5), BENCH_SERVE_ECHOES
// (default 30), BENCH_SERVE_AT_ONCE (default 20), BENCH_IMAGE (default mcp-sandbox-test/node:local).
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'mcp-sandbox.js');
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 5);
const ECHOES = Number(process.env.BENCH_SERVE_ECHOES ?? 30);
const AT_ONCE = Number(process.env.BENCH_SERVE_AT_ONCE ?? 20);
const IMAGE = process.env.BENCH_IMAGE ?? 'mcp-sandbox-test/node:local';
const ENTRY = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
/** @param {string} line */
const log = (line) => process.stderr.write(`bench-serve: ${line}\n`);
/** @param {number[]} v @param {number} q */
const quantile = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return ((s[Math.floor(i)] ?? NaN) + (s[Math.ceil(i)] ?? NaN)) / 2;
};
/** @param {number[]} v */
const median = (v) => quantile(v, 0.5);
/** @param {number} v */
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** @param {string} profile */
function leftovers(profile) {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=mcp-sandbox.profile=${profile}`], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

/** @param {() => boolean} check @param {number} ms */
async function eventually(check, ms) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

/**
 * initialize time and echo round trips of one connected client.
 * @param {Client} client @param {number} t0
 */
async function measure(client, t0) {
  const initialize = performance.now() - t0;
  const echoes = [];
  for (let i = 0; i < ECHOES; i += 1) {
    const s = performance.now();
    const result = await client.callTool({ name: 'echo', arguments: { message: `ping ${i}` } });
    echoes.push(performance.now() - s);
    if (i === 0 && !JSON.stringify(result).includes('ping 0')) throw new Error(`unexpected echo answer: ${JSON.stringify(result).slice(0, 200)}`);
  }
  return { initialize, echoP50: median(echoes) };
}

/** @param {string} file @param {NodeJS.ProcessEnv} env */
async function stdioSession(file, env) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'run', file], env: /** @type {Record<string, string>} */ (env), stderr: 'ignore', cwd: ROOT });
  const client = new Client({ name: 'mcp-sandbox-bench-serve', version: '1.0.0' });
  const t0 = performance.now();
  await client.connect(transport);
  try {
    return await measure(client, t0);
  } finally {
    await client.close();
  }
}

/** @param {URL} url */
async function httpSession(url) {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'mcp-sandbox-bench-serve', version: '1.0.0' });
  const t0 = performance.now();
  await client.connect(transport);
  try {
    return await measure(client, t0);
  } finally {
    await transport.terminateSession();
    await client.close();
  }
}

const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcp-sandbox-bench-serve-lean', version: '1.0.0' } } };
/** @param {number} id @param {number} i */
const echoCall = (id, i) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: `ping ${i}` } } });
/** @param {unknown} answer @param {number} i */
function checkEcho(answer, i) {
  if (i === 0 && !JSON.stringify(answer).includes('ping 0')) throw new Error(`unexpected echo answer: ${JSON.stringify(answer).slice(0, 200)}`);
}

/** CPU time (user + system, all threads) a process has used, in ms; NaN where /proc is not there. @param {number | undefined} pid */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * The lean clients' shared part: `call(message)` resolves to the answer. With `pid`, also the
 * CPU that process used per echo (the launcher's, or serve's): on a busy machine it is the
 * steadier measure of what each side costs.
 * @param {(message: object) => Promise<unknown>} call @param {number} t0 @param {number} [pid]
 */
async function leanMeasure(call, t0, pid) {
  await call(INITIALIZE);
  const initialize = performance.now() - t0;
  await call({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const echoes = [];
  const cpu0 = cpuMs(pid);
  for (let i = 0; i < ECHOES; i += 1) {
    const s = performance.now();
    const answer = await call(echoCall(i + 1, i));
    echoes.push(performance.now() - s);
    checkEcho(answer, i);
  }
  return { initialize, echoP50: median(echoes), cpuPerEcho: (cpuMs(pid) - cpu0) / ECHOES };
}

/** JSON lines to `mcp-sandbox run`'s stdin, answers matched by id from its stdout. @param {string} file @param {NodeJS.ProcessEnv} env */
async function leanStdioSession(file, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'run', file], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'ignore'] });
  /** @type {Map<unknown, (message: unknown) => void>} */
  const waiting = new Map();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (/** @type {string} */ chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const message = JSON.parse(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  /** @param {{ id?: unknown }} message */
  const call = (message) => {
    child.stdin.write(`${JSON.stringify(message)}\n`);
    return message.id === undefined ? Promise.resolve(undefined) : new Promise((resolve) => waiting.set(message.id, resolve));
  };
  try {
    return await leanMeasure(call, t0, child.pid);
  } finally {
    child.stdin.end();
    await exited;
  }
}

/** One POST per message on a keep-alive connection; an SSE answer read whole, its `data:` parsed. @param {URL} url @param {number} [pid] serve's */
async function leanHttpSession(url, pid) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  /** @param {string} method @param {object | undefined} message @returns {Promise<unknown>} */
  const request = (method, message) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method, agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (/** @type {string} */ chunk) => (body += chunk));
        res.on('end', () => {
          const session = res.headers['mcp-session-id'];
          if (typeof session === 'string') Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
          if ((res.statusCode ?? 500) >= 300) return reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          const data = /^data: (.*)$/m.exec(body);
          resolve(data ? JSON.parse(/** @type {string} */ (data[1])) : undefined);
        });
      });
      req.on('error', reject);
      req.end(message === undefined ? undefined : JSON.stringify(message));
    });
  const t0 = performance.now();
  try {
    return await leanMeasure((message) => request('POST', message), t0, pid);
  } finally {
    await request('DELETE', undefined);
    agent.destroy();
  }
}

/** `mcp-sandbox serve` on a free loopback port; resolves once it listens. @param {string} file @param {NodeJS.ProcessEnv} env @param {string} bin */
function startServe(file, env, bin) {
  const child = spawn(process.execPath, [bin, 'serve', file, '--listen', '127.0.0.1:0', '--auth', 'none'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  /** @type {Promise<URL>} */
  const url = new Promise((resolve, reject) => {
    child.stderr.on('data', (/** @type {Buffer} */ c) => {
      stderr += c.toString('utf8');
      const match = /serving \S+ at (http:\/\/\S+)/.exec(stderr);
      if (match) resolve(new URL(/** @type {string} */ (match[1])));
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

/** N sessions at once, each initialized and echoing once; all ended by DELETE. @param {URL} url */
async function atOnce(url) {
  const t0 = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: AT_ONCE }, async (_, i) => {
      const transport = new StreamableHTTPClientTransport(url);
      const client = new Client({ name: `mcp-sandbox-bench-serve-${i}`, version: '1.0.0' });
      await client.connect(transport);
      const result = await client.callTool({ name: 'echo', arguments: { message: `session ${i}` } }, undefined, { timeout: 120_000 });
      if (!JSON.stringify(result).includes(`session ${i}`)) throw new Error(`session ${i}: unexpected echo ${JSON.stringify(result).slice(0, 100)}`);
      return { client, transport };
    }),
  );
  const allReady = performance.now() - t0;
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  for (const r of results) if (r.status === 'rejected') log(`concurrent session failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  await Promise.all(
    results.map(async (r) => {
      if (r.status !== 'fulfilled') return;
      await r.value.transport.terminateSession().catch(() => undefined);
      await r.value.client.close();
    }),
  );
  return { ok, allReady };
}

export async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-serve-'));
  const profile = `bench-serve-${process.pid}`;
  const file = path.join(dir, `${profile}.yaml`);
  writeFileSync(file, `version: 1\nname: ${profile}\nimage: ${IMAGE}\npull: never\nruntime: runsc\nentrypoint: [node]\ncommand: [${ENTRY}, stdio]\nuser: "10001"\nserve:\n  sessions: { max: ${Math.max(AT_ONCE, 2)}, idleTimeout: 300 }\n`);
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, '{}\n');
  const env = { ...process.env, MCP_SANDBOX_CONFIG: config, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache'), MCP_SANDBOX_AUDIT_DIR: path.join(dir, 'audit') };
  const loadBefore = load();
  const served = startServe(file, env, BIN);
  // BENCH_SERVE_BASE_BIN: another build's bin/mcp-sandbox.js, served alongside (before/after of a change).
  const base = process.env.BENCH_SERVE_BASE_BIN ? startServe(file, env, process.env.BENCH_SERVE_BASE_BIN) : undefined;
  try {
    const url = await served.url;
    const baseUrl = base ? await base.url : undefined;
    /** @type {[string, () => Promise<{ initialize: number, echoP50: number, cpuPerEcho?: number }>][]} */
    const cells = [
      ['SDK run', () => stdioSession(file, env)],
      ['SDK serve', () => httpSession(url)],
      ['lean run', () => leanStdioSession(file, env)],
      ['lean serve', () => leanHttpSession(url, served.child.pid)],
      ...(baseUrl ? /** @type {const} */ ([['SDK serve (base)', () => httpSession(baseUrl)], ['lean serve (base)', () => leanHttpSession(baseUrl, base?.child.pid)]]) : []),
    ];
    log(`serve at ${url.href}; warm-up round`);
    for (const [, session] of cells) await session();
    /** @type {Map<string, { initialize: number, echoP50: number, cpuPerEcho?: number }[]>} */
    const rounds = new Map(cells.map(([name]) => [name, []]));
    for (let i = 0; i < ROUNDS; i += 1) {
      log(`round ${i + 1}/${ROUNDS}`);
      const shift = i % cells.length;
      for (const [name, session] of [...cells.slice(shift), ...cells.slice(0, shift)]) rounds.get(name)?.push(await session());
    }
    log(`${AT_ONCE} sessions at once`);
    const concurrent = await atOnce(url);
    const gone = await eventually(() => leftovers(profile) === 0, 20_000);
    served.child.kill('SIGTERM');
    base?.child.kill('SIGTERM');
    const code = await served.exited;
    await base?.exited;
    const left = (await eventually(() => leftovers(profile) === 0, 10_000)) ? 0 : leftovers(profile);
    /** @param {string} name @param {'initialize' | 'echoP50' | 'cpuPerEcho'} key */
    const m = (name, key) => median((rounds.get(name) ?? []).map((r) => r[key] ?? NaN));
    /** @param {number} v */
    const signed = (v) => `${v >= 0 ? '+' : ''}${fmt(v)}`;
    /** @param {string} client @param {string} serveName */
    const row = (client, serveName) => `| ${serveName.replace(/^\w+ /, `${client}: `)} | ${fmt(m(`${client} run`, 'echoP50'))} | ${fmt(m(serveName, 'echoP50'))} | ${signed(m(serveName, 'echoP50') - m(`${client} run`, 'echoP50'))} | ${fmt(m(`${client} run`, 'initialize'))} | ${fmt(m(serveName, 'initialize'))} |`;
    const sdkDelta = m('SDK serve', 'echoP50') - m('SDK run', 'echoP50');
    const leanDelta = m('lean serve', 'echoP50') - m('lean run', 'echoP50');
    const lines = [
      `${ROUNDS} rounds (each session kind first in turn), ${ECHOES} echoes per session, after one warm-up round; medians of the per-session p50. SDK: the MCP TypeScript SDK's stdio and Streamable HTTP clients; lean: JSON lines on run's stdin and stdout, and node:http with a keep-alive agent reading each SSE answer whole. Load average ${loadBefore} at the start, ${load()} at the end.`,
      '',
      '| client: serve | echo p50 run (stdio, ms) | echo p50 serve (HTTP, SSE, ms) | delta (ms) | connect → `initialize` run (ms) | serve (ms) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      row('SDK', 'SDK serve'),
      row('lean', 'lean serve'),
      ...(baseUrl ? [row('SDK', 'SDK serve (base)'), row('lean', 'lean serve (base)')] : []),
      '',
      `CPU per echo, lean clients (user + system of the process, all its threads; medians of the per-session means): run's launcher ${fmt(m('lean run', 'cpuPerEcho'))} ms, serve ${fmt(m('lean serve', 'cpuPerEcho'))} ms${baseUrl ? `, serve (base) ${fmt(m('lean serve (base)', 'cpuPerEcho'))} ms` : ''}.`,
      '',
      `${AT_ONCE} sessions at once against one serve: ${concurrent.ok}/${AT_ONCE} initialized and echoed, all ready after ${fmt(concurrent.allReady)} ms; containers left after DELETE: ${gone ? 0 : leftovers(profile)}; serve exit on SIGTERM: ${code}; left after serve: ${left}.`,
      '',
      `- ${leanDelta <= 1 ? 'OK' : 'MISSED'}: serve echo p50 ${signed(leanDelta)} ms vs run, lean clients: what serve adds (target ≤ +1 ms)`,
      `- ${sdkDelta <= 1 ? 'OK' : 'MISSED'}: serve echo p50 ${signed(sdkDelta)} ms vs run, SDK clients: serve plus the SDK HTTP client's own cost over its stdio client (target ≤ +1 ms)`,
      `- ${concurrent.ok === AT_ONCE && gone && left === 0 && code === 0 ? 'OK' : 'MISSED'}: ${AT_ONCE} concurrent sessions ok, nothing left behind`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const child of [served, base]) {
      if (child && child.child.exitCode === null) child.child.kill('SIGTERM');
      await child?.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`bench-serve: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
