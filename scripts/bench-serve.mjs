#!/usr/bin/env node
// @ts-check
// serve benchmark (docs/serve.md, issue 14), run by `BENCH_SERVE=1 npm run bench` or alone:
// the same profile (server-everything under runsc) through `mcp-sandbox run` (stdio) and through
// `mcp-sandbox serve` (Streamable HTTP, responses as SSE), one session each per round in rotating
// order: connect → `initialize` answered, then echo round trips (p50); then N sessions at once
// against one serve, each echoing once, all removed at the end. Prints a markdown section on
// stdout. Environment: BENCH_SERVE_ROUNDS (default 5), BENCH_SERVE_ECHOES (default 30),
// BENCH_SERVE_AT_ONCE (default 20), BENCH_IMAGE (default mcp-sandbox-test/node:local).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** `mcp-sandbox serve` on a free loopback port; resolves once it listens. @param {string} file @param {NodeJS.ProcessEnv} env */
function startServe(file, env) {
  const child = spawn(process.execPath, [BIN, 'serve', file, '--listen', '127.0.0.1:0', '--auth', 'none'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
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
  const served = startServe(file, env);
  try {
    const url = await served.url;
    log(`serve at ${url.href}; warm-up round`);
    await stdioSession(file, env);
    await httpSession(url);
    /** @type {{ stdio: { initialize: number, echoP50: number }[], http: { initialize: number, echoP50: number }[] }} */
    const rounds = { stdio: [], http: [] };
    for (let i = 0; i < ROUNDS; i += 1) {
      log(`round ${i + 1}/${ROUNDS}`);
      if (i % 2 === 0) {
        rounds.stdio.push(await stdioSession(file, env));
        rounds.http.push(await httpSession(url));
      } else {
        rounds.http.push(await httpSession(url));
        rounds.stdio.push(await stdioSession(file, env));
      }
    }
    log(`${AT_ONCE} sessions at once`);
    const concurrent = await atOnce(url);
    const gone = await eventually(() => leftovers(profile) === 0, 20_000);
    served.child.kill('SIGTERM');
    const code = await served.exited;
    const left = (await eventually(() => leftovers(profile) === 0, 10_000)) ? 0 : leftovers(profile);
    const stdioEcho = median(rounds.stdio.map((r) => r.echoP50));
    const httpEcho = median(rounds.http.map((r) => r.echoP50));
    const delta = httpEcho - stdioEcho;
    const lines = [
      `${ROUNDS} rounds (run and serve, each first in turn), ${ECHOES} echoes per session, after one warm-up round; medians of the per-session p50. Load average ${loadBefore} at the start, ${load()} at the end.`,
      '',
      '| | run (stdio) | serve (HTTP, SSE) | delta |',
      '| --- | --- | --- | --- |',
      `| connect → \`initialize\` answered (ms) | ${fmt(median(rounds.stdio.map((r) => r.initialize)))} | ${fmt(median(rounds.http.map((r) => r.initialize)))} | ${fmt(median(rounds.http.map((r) => r.initialize)) - median(rounds.stdio.map((r) => r.initialize)))} |`,
      `| echo round trip p50 (ms) | ${fmt(stdioEcho)} | ${fmt(httpEcho)} | ${delta >= 0 ? '+' : ''}${fmt(delta)} |`,
      '',
      `${AT_ONCE} sessions at once against one serve: ${concurrent.ok}/${AT_ONCE} initialized and echoed, all ready after ${fmt(concurrent.allReady)} ms; containers left after DELETE: ${gone ? 0 : leftovers(profile)}; serve exit on SIGTERM: ${code}; left after serve: ${left}.`,
      '',
      `- ${delta <= 1 ? 'OK' : 'MISSED'}: serve echo p50 ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms vs run (target ≤ +1 ms)`,
      `- ${concurrent.ok === AT_ONCE && gone && left === 0 && code === 0 ? 'OK' : 'MISSED'}: ${AT_ONCE} concurrent sessions ok, nothing left behind`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (served.child.exitCode === null) served.child.kill('SIGTERM');
    await served.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`bench-serve: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
