#!/usr/bin/env node
// @ts-check
// Warm start benchmark (docs/run.md, issue 13), run by `BENCH_WARM=1 npm run bench` or alone:
// spawn → `initialize` answered under runsc for raw `docker run -i`, a cold `mcp-sandbox run`
// and a warm one (claiming a pooled sandbox made by `mcp-sandbox warm`), paired in rotating
// order; then 10 launchers at once against a pool of 10; then the memory an idle pooled sandbox
// costs. Prints a markdown section on stdout. Environment: BENCH_WARM_PAIRS (default 7),
// BENCH_IMAGE (default mcp-sandbox-test/node:local), BENCH_WARM_AT_ONCE (default 10).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'mcp-sandbox.js');
const PAIRS = Number(process.env.BENCH_WARM_PAIRS ?? 7);
const AT_ONCE = Number(process.env.BENCH_WARM_AT_ONCE ?? 10);
const IMAGE = process.env.BENCH_IMAGE ?? 'mcp-sandbox-test/node:local';
const ENTRY = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
/** @param {string} line */
const log = (line) => process.stderr.write(`bench-warm: ${line}\n`);
/** @param {number[]} v */
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return ((s[Math.floor(m)] ?? NaN) + (s[Math.ceil(m)] ?? NaN)) / 2;
};
/** @param {number} v */
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** @param {string} name @param {string} extra */
const profileText = (name, extra) =>
  `version: 1\nname: ${name}\nimage: ${IMAGE}\npull: never\nruntime: runsc\nentrypoint: [node]\ncommand: [${ENTRY}, stdio]\nuser: "10001"\n${extra}`;

/**
 * spawn → initialize answered, then one echo and one 1 MB echo, then close (ms).
 * @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
async function session(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env: /** @type {Record<string, string>} */ (env), stderr: 'pipe', cwd: ROOT });
  let stderr = '';
  transport.stderr?.on('data', (/** @type {Buffer} */ c) => (stderr += c.toString('utf8')));
  const client = new Client({ name: 'mcp-sandbox-bench-warm', version: '1.0.0' });
  const t0 = performance.now();
  try {
    await client.connect(transport);
    const initialize = performance.now() - t0;
    const echoes = [];
    for (let i = 0; i < 20; i += 1) {
      const s = performance.now();
      await client.callTool({ name: 'echo', arguments: { message: `ping ${i}` } });
      echoes.push(performance.now() - s);
    }
    const s = performance.now();
    const big = 'x'.repeat(1024 * 1024);
    const r = await client.callTool({ name: 'echo', arguments: { message: big } }, undefined, { timeout: 60_000 });
    const mb = performance.now() - s;
    if (!JSON.stringify(r).includes(big)) throw new Error('1 MB echo came back short');
    return { initialize, echoP50: median(echoes), mb, claimed: stderr.includes('claimed warm sandbox') };
  } catch (error) {
    throw new Error(`${/** @type {Error} */ (error).message}\nstderr:\n${stderr.slice(-1500)}`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** @param {string} profile @returns {Array<{ id: string, name: string, age: string }>} */
function idleMembers(profile) {
  const out = execFileSync('docker', ['ps', '--no-trunc', '--filter', `label=mcp-sandbox.profile=${profile}`, '--filter', 'label=mcp-sandbox.pool=idle', '--format', '{{.ID}} {{.Names}}'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /-pool-[0-9a-f]{12}$/.test(l)).map((l) => ({ id: l.split(' ')[0] ?? '', name: l.split(' ')[1] ?? '', age: '' }));
}

/** Waits until the sessions before have been torn down (their removal under runsc costs CPU). */
async function settle() {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const out = execFileSync('docker', ['ps', '-a', '--filter', 'label=mcp-sandbox.profile', '--format', '{{.Names}}'], { encoding: 'utf8' });
    const busy = out.split('\n').filter((n) => /bench-warm-/.test(n) && !/-pool-[0-9a-f]{12}$/.test(n));
    if (busy.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 500));
}

/** Fills the pool to `n` and waits until every member's server has had time to come up. @param {string} file @param {string} profile @param {number} n @param {NodeJS.ProcessEnv} env */
async function ready(file, profile, n, env) {
  const deadline = Date.now() + 120_000;
  while (idleMembers(profile).length < n && Date.now() < deadline) {
    spawnSync(process.execPath, [BIN, 'warm', file, '--pool', String(n)], { env, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
  }
  // Ready = the members' servers have finished starting: their cgroups stop using CPU.
  let last = cpuOf(idleMembers(profile).map((m) => m.id));
  for (let quiet = 0; quiet < 2 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuOf(idleMembers(profile).map((m) => m.id));
    quiet = now - last < 20e6 * n ? quiet + 1 : 0;
    last = now;
  }
}

/** CPU nanoseconds the containers' cgroups used so far (cgroup v1 or v2). @param {string[]} ids */
function cpuOf(ids) {
  let total = 0;
  for (const id of ids) {
    try {
      total += Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8'));
    } catch {
      try {
        const m = /^usage_usec (\d+)/m.exec(readFileSync(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 'utf8'));
        total += m ? Number(m[1]) * 1000 : 0;
      } catch {
        // gone
      }
    }
  }
  return total;
}

/** Bytes the engine counts for a container (cgroup v1 or v2), minus the page cache, like `docker stats`. @param {string} id */
function cgroupMemory(id) {
  for (const [usage, stat, cache] of [
    [`/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes`, `/sys/fs/cgroup/memory/docker/${id}/memory.stat`, 'total_inactive_file'],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.current`, `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.stat`, 'inactive_file'],
  ]) {
    try {
      const used = Number(readFileSync(/** @type {string} */ (usage), 'utf8'));
      const m = new RegExp(`^${cache} (\\d+)`, 'm').exec(readFileSync(/** @type {string} */ (stat), 'utf8'));
      return used - (m ? Number(m[1]) : 0);
    } catch {
      // the other layout
    }
  }
  return NaN;
}

/** VmRSS (bytes) of the runsc and shim processes serving a container, by process name. @param {string} id */
function runscRss(id) {
  /** @type {Record<string, number>} */
  const rss = {};
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(id)) continue;
      const name = (cmdline.split('\0')[0] ?? '').split('/').pop() ?? '?';
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) rss[name] = (rss[name] ?? 0) + Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return rss;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-warm-'));
  const env = { ...process.env, MCP_SANDBOX_CONFIG: path.join(dir, 'no-config.yaml'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  const warmFile = path.join(dir, 'bench-warm-pool.yaml');
  const coldFile = path.join(dir, 'bench-warm-cold.yaml');
  const manyFile = path.join(dir, 'bench-warm-many.yaml');
  writeFileSync(warmFile, profileText('bench-warm-pool', 'warm: { pool: 0, idleTimeout: 10m }\n'));
  writeFileSync(coldFile, profileText('bench-warm-cold', ''));
  writeFileSync(manyFile, profileText('bench-warm-many', `warm: { pool: 0, idleTimeout: 10m }\n`));
  const argv = JSON.parse(execFileSync(process.execPath, [BIN, 'render', coldFile, '--format', 'json'], { env, encoding: 'utf8' }));
  /** @type {Record<string, { command: string, args: string[] }>} */
  const variants = {
    raw: { command: argv[0], args: argv.slice(1) },
    cold: { command: process.execPath, args: [BIN, 'run', '-v', coldFile] },
    warm: { command: process.execPath, args: [BIN, 'run', '-v', warmFile] },
  };
  /** @type {Record<string, Array<{ initialize: number, echoP50: number, mb: number, claimed: boolean }>>} */
  const results = { raw: [], cold: [], warm: [] };
  try {
    log('warm-up');
    await session(variants.cold.command, variants.cold.args, env);
    await session(variants.raw.command, variants.raw.args, env);
    const names = ['raw', 'cold', 'warm'];
    for (let i = 0; i < PAIRS; i += 1) {
      await ready(warmFile, 'bench-warm-pool', 1, env);
      const order = [...names.slice(i % 3), ...names.slice(0, i % 3)];
      for (const which of order) {
        await settle();
        results[which]?.push(await session(/** @type {any} */ (variants[which]).command, /** @type {any} */ (variants[which]).args, env));
      }
      log(`round ${i + 1}/${PAIRS} (${order.join(', ')}): ${names.map((n) => `${n} ${fmt(results[n]?.at(-1)?.initialize ?? NaN)} ms`).join(', ')}`);
    }
    await ready(manyFile, 'bench-warm-many', AT_ONCE, env);
    const [member] = idleMembers('bench-warm-many');
    const memory = member ? { cgroup: cgroupMemory(member.id), rss: runscRss(member.id) } : undefined;
    await settle();
    log(`${AT_ONCE} at once`);
    const many = await Promise.all(Array.from({ length: AT_ONCE }, () => session(process.execPath, [BIN, 'run', '-v', manyFile], env)));
    const section = report(results, many, memory);
    process.stdout.write(`${section}\n`);
  } finally {
    for (const file of [warmFile, manyFile]) spawnSync(process.execPath, [BIN, 'warm', '--stop', file], { env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param {Record<string, Array<{ initialize: number, echoP50: number, mb: number, claimed: boolean }>>} results
 * @param {Array<{ initialize: number, claimed: boolean }>} many
 * @param {{ cgroup: number, rss: Record<string, number> } | undefined} memory
 */
function report(results, many, memory) {
  const MB = 1024 * 1024;
  const m = (/** @type {string} */ w, /** @type {'initialize' | 'echoP50' | 'mb'} */ k) => median((results[w] ?? []).map((r) => r[k]));
  const pairRatio = median((results.raw ?? []).map((r, i) => r.initialize / ((results.warm ?? [])[i]?.initialize ?? NaN)));
  const claimed = (results.warm ?? []).filter((r) => r.claimed).length;
  const manyInit = many.map((r) => r.initialize);
  const lines = [
    `Warm start (scripts/bench-warm.mjs), ${new Date().toISOString()}: ${PAIRS} rounds of raw / cold / warm in rotating order under runsc, each round after the pool was refilled and its members' cgroups used < 20 ms CPU per 0.5 s twice in a row; medians (ms).`,
    '',
    '| metric | raw `docker run -i` | cold `run` | warm `run` |',
    '| --- | ---: | ---: | ---: |',
    `| spawn → \`initialize\` answered | ${fmt(m('raw', 'initialize'))} | ${fmt(m('cold', 'initialize'))} | ${fmt(m('warm', 'initialize'))} |`,
    `| echo p50 (20 per session) | ${m('raw', 'echoP50').toFixed(2)} | ${m('cold', 'echoP50').toFixed(2)} | ${m('warm', 'echoP50').toFixed(2)} |`,
    `| 1 MB echo | ${fmt(m('raw', 'mb'))} | ${fmt(m('cold', 'mb'))} | ${fmt(m('warm', 'mb'))} |`,
    '',
    `- ${m('warm', 'initialize') <= 250 ? '✓' : '✗'} warm median ${fmt(m('warm', 'initialize'))} ms (target ≤ 250 ms); claimed in ${claimed}/${(results.warm ?? []).length} warm runs`,
    `- ${pairRatio >= 5 ? '✓' : '✗'} raw/warm ${pairRatio.toFixed(1)}× (median of per-round ratios; target ≥ 5×)`,
    `- ${Math.max(...manyInit) <= 600 ? '✓' : '✗'} ${AT_ONCE} launchers at once on a pool of ${AT_ONCE}: median ${fmt(median(manyInit))} ms, max ${fmt(Math.max(...manyInit))} ms (target each ≤ 600 ms); ${many.filter((r) => r.claimed).length}/${AT_ONCE} claimed`,
  ];
  if (memory) {
    const rss = Object.entries(memory.rss).map(([name, bytes]) => `${name} ${(bytes / MB).toFixed(1)} MB`).join(', ');
    lines.push(`- idle pooled sandbox (server-everything, settled): container cgroup ${(memory.cgroup / MB).toFixed(1)} MB (as \`docker stats\` counts it: the sentry and the guest's memory); RSS of its host processes: ${rss}`);
  }
  return lines.join('\n');
}

main().catch((error) => {
  process.stderr.write(`bench-warm: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
