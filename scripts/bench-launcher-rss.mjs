#!/usr/bin/env node
// @ts-check
// Peak RSS of the launcher (`mcp-sandbox run`, server-everything under runc) by phase of the
// bench's session shape, for interleaved A/B comparisons of builds or node flags (docs/gate.md,
// Memory). Phases: small (RSS_ECHOES echoes), mb (three 1 MiB echoes), big (one 10,000,000-byte
// echo); VmHWM after each, then the launcher's anonymous and file-backed RSS (smaps_rollup) and
// its CPU time (utime + stime). Each variant runs gate on and gate off, in rotating order.
//
// Environment: RSS_ROUNDS (default 4), RSS_PHASES (default "small,mb,big"), RSS_ECHOES (default
// 200), RSS_GATE ("on", "off" or default both), RSS_VARIANTS: JSON list of {name, bin?, flags?}
// (bin: another launcher script, e.g. a build of the commit before; flags: node flags), default
// this worktree's bin/mcp-sandbox.js. BENCH_IMAGE as in scripts/bench.mjs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.RSS_ROUNDS ?? 4);
const PHASES = (process.env.RSS_PHASES ?? 'small,mb,big').split(',');
const ECHOES = Number(process.env.RSS_ECHOES ?? 200);
const GATES = process.env.RSS_GATE ? [process.env.RSS_GATE === 'on'] : [true, false];
/** @type {Array<{ name: string, bin?: string, flags?: string[] }>} */
const VARIANTS = JSON.parse(process.env.RSS_VARIANTS ?? '[{"name":"this"}]');
const IMAGE = process.env.BENCH_IMAGE ?? 'mcp-sandbox-test/node:local';
const ENTRY = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';

/** @param {number} pid @param {string} file @param {string} field */
const kb = (pid, file, field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? NaN);
const mb = (/** @type {number} */ k) => Number((k / 1024).toFixed(1));

/** @param {string} profile @param {{ name: string, bin?: string, flags?: string[] }} variant @param {boolean} gate */
async function session(profile, variant, gate) {
  const env = { ...getDefaultEnvironment(), MCP_SANDBOX_CONFIG: path.join(path.dirname(profile), 'no-config.yaml'), ...(gate ? {} : { MCP_SANDBOX_GATE: 'off' }) };
  const bin = variant.bin ?? path.join(ROOT, 'bin', 'mcp-sandbox.js');
  const transport = new StdioClientTransport({ command: process.execPath, args: [...(variant.flags ?? []), bin, 'run', profile], env, stderr: 'pipe', cwd: ROOT });
  const client = new Client({ name: 'bench-launcher-rss', version: '1.0.0' });
  await client.connect(transport);
  const pid = /** @type {number} */ (transport.pid);
  /** @type {Record<string, number>} */
  const peaks = {};
  const call = (/** @type {string} */ message) => client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: 120_000 });
  if (PHASES.includes('small')) for (let i = 0; i < ECHOES; i += 1) await call(`ping ${i}`);
  peaks.small = mb(kb(pid, 'status', 'VmHWM'));
  if (PHASES.includes('mb')) for (let i = 0; i < 3; i += 1) await call('x'.repeat(1024 * 1024));
  peaks.mb = mb(kb(pid, 'status', 'VmHWM'));
  if (PHASES.includes('big')) await call('y'.repeat(10_000_000));
  peaks.big = mb(kb(pid, 'status', 'VmHWM'));
  const anon = kb(pid, 'smaps_rollup', 'Anonymous');
  const file = kb(pid, 'smaps_rollup', 'Rss') - anon;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  await client.close();
  return { peak: Math.max(...Object.values(peaks)), ...peaks, anon: mb(anon), file: mb(file), cpuMs };
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-launcher-rss-'));
const profile = path.join(dir, 'bench-everything-runc.yaml');
writeFileSync(profile, ['version: 1', 'name: bench-everything-runc', `image: ${IMAGE}`, 'pull: never', 'runtime: runc', 'entrypoint: [node]', `command: [${ENTRY}, stdio]`, 'user: "10001"', 'justifications:', '  MS101: "benchmark baseline: the same server under runc"', ''].join('\n'));
try {
  const runs = VARIANTS.flatMap((variant) => GATES.map((gate) => ({ variant, gate, label: `${variant.name} gate ${gate ? 'on' : 'off'}` })));
  for (const run of runs) await session(profile, run.variant, run.gate); // warm-up: profile and code caches
  /** @type {Record<string, Array<{ peak: number, cpuMs: number }>>} */
  const results = {};
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let k = 0; k < runs.length; k += 1) {
      const run = /** @type {typeof runs[number]} */ (runs[(round + k) % runs.length]);
      const figures = await session(profile, run.variant, run.gate);
      (results[run.label] ??= []).push(figures);
      process.stdout.write(`${run.label}: ${JSON.stringify(figures)} load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    }
  }
  const median = (/** @type {number[]} */ v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (const [label, rows] of Object.entries(results)) {
    process.stdout.write(`${label}: peak ${rows.map((r) => r.peak).join(' ')} MB (median ${median(rows.map((r) => r.peak))}), cpu median ${median(rows.map((r) => r.cpuMs))} ms\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
