// Micro-benchmark of the MCP gate in-process: echo round trips through the gate vs the same
// in-process echo server without it, with a policy that filters, validates, scans and audits.
// The gate is bundled from src/ with esbuild the way dist/run.js bundles it.
//
//   node scripts/bench-gate.mjs [--rounds 2000] [--json] [--scan mask|off]
//     --audit: the real audit log writer (temporary directory) instead of a serializing sink
//   node scripts/bench-gate.mjs --engine [--rounds 300]   (the real launcher: `run` of
//     test/fixtures/run/everything.yaml under gVisor, with the gate in front of it or not)
//
// Prints p50/p90 of the small echo and the fastest of several 1 MB and 10 MB echoes (the
// machine's noise only ever adds), gate vs direct.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 2000;
const asJson = args.includes('--json');
// --scan off|block|mask (default mask): how much of the big-message cost is secret scanning.
const SECRET_SCAN = args.includes('--scan') ? args[args.indexOf('--scan') + 1] : 'mask';

const outdir = mkdtempSync(path.join(tmpdir(), 'bench-gate-'));
await build({
  entryPoints: { gate: path.join(ROOT, 'src/gate/gate.ts'), config: path.join(ROOT, 'src/gate/config.ts'), log: path.join(ROOT, 'src/gate/audit/log.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const { createGate } = await import(pathToFileURL(path.join(outdir, 'gate.js')).href);
const { gateConfigOf } = await import(pathToFileURL(path.join(outdir, 'config.js')).href);
// --audit: the real audit log writer (in a temporary directory) instead of a sink that only serializes.
const { openAuditLog } = await import(pathToFileURL(path.join(outdir, 'log.js')).href);
const REAL_AUDIT = args.includes('--audit');

const TOOLS = [{ name: 'echo', inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } }];

/**
 * An in-process echo server: one answer line per request line, written the way the engine's
 * attach stream delivers a container's stdout, in 64 KB pieces with a turn of the event loop
 * between them (the gate scans a long line while it arrives, so delivery shape matters).
 */
function echoServer() {
  let pending = '';
  let queue = Promise.resolve();
  const stream = new Transform({
    transform(chunk, _enc, callback) {
      let text = pending + chunk.toString('utf8');
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const message = JSON.parse(text.slice(0, nl));
        let answer;
        if (message.method === 'tools/list') answer = { result: { tools: TOOLS }, jsonrpc: '2.0', id: message.id };
        else if (message.id !== undefined) answer = { result: { content: [{ type: 'text', text: `Echo: ${message.params?.arguments?.message ?? ''}` }] }, jsonrpc: '2.0', id: message.id };
        if (answer) {
          const bytes = Buffer.from(`${JSON.stringify(answer)}\n`);
          queue = queue.then(() => deliver(stream, bytes));
        }
        text = text.slice(nl + 1);
        nl = text.indexOf('\n');
      }
      pending = text;
      callback();
    },
  });
  return stream;
}

async function deliver(stream, bytes) {
  for (let at = 0; at < bytes.length; at += 65536) {
    if (at > 0) await new Promise((resolve) => setImmediate(resolve));
    stream.push(bytes.subarray(at, at + 65536));
  }
}

/** A client side: send a request line, resolve on the answer line. */
function clientOver(write, readable) {
  let buffered = [];
  let waiting;
  readable.on('data', (chunk) => {
    buffered.push(chunk);
    if (chunk.includes(10) && waiting) {
      const line = Buffer.concat(buffered);
      buffered = [];
      const resolve = waiting;
      waiting = undefined;
      resolve(line);
    }
  });
  let id = 0;
  return (method, params) =>
    new Promise((resolve) => {
      waiting = resolve;
      write(`${JSON.stringify({ jsonrpc: '2.0', id: (id += 1), method, params })}\n`);
    });
}

function setup(withGate) {
  const server = echoServer();
  if (!withGate) {
    const out = new PassThrough();
    server.pipe(out);
    return { call: clientOver((line) => server.write(line), out), close: async () => undefined };
  }
  const config = gateConfigOf({ tools: { deny: ['write_*', 'delete_*'], constrain: { echo: { properties: { message: { maxLength: 20_000_000 } } } } }, secretScan: SECRET_SCAN, audit: { arguments: 'redacted' } });
  let records = 0;
  const gate = createGate(config, {
    secrets: { API_TOKEN: 'bench-secret-value-never-sent' },
    mounts: [],
    log: (message) => process.stderr.write(`gate: ${message}\n`),
    // An audit sink that serializes each record, as the JSONL writer will.
    audit: REAL_AUDIT
      ? openAuditLog({ profile: 'bench-gate', env: { MCP_SANDBOX_AUDIT_DIR: path.join(outdir, 'audit') } })
      : { record: (entry) => { records += JSON.stringify(entry).length > 0 ? 1 : 0; }, close: async () => undefined },
    pinning: { drifted: () => ({ added: [], changed: [] }) },
  });
  gate.toServer.pipe(server).pipe(gate.toClient);
  return { call: clientOver((line) => gate.toServer.write(line), gate.toClient), close: () => gate.close(), records: () => records };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function measure(withGate) {
  const { call, close } = setup(withGate);
  const t0 = performance.now();
  await call('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  const first = performance.now() - t0;
  await call('tools/list', {});
  for (let i = 0; i < 200; i += 1) await call('tools/call', { name: 'echo', arguments: { message: `warm ${i}` } });
  const small = [];
  for (let i = 0; i < rounds; i += 1) {
    const start = process.hrtime.bigint();
    await call('tools/call', { name: 'echo', arguments: { message: `hello ${i}` } });
    small.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const big = {};
  for (const [label, size] of [['1MB', 1_000_000], ['10MB', 10_000_000]]) {
    const message = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ'.repeat(Math.ceil(size / 64)).slice(0, size);
    const times = [];
    for (let i = 0; i < (size > 1e6 ? 7 : 25); i += 1) {
      const start = performance.now();
      const answer = await call('tools/call', { name: 'echo', arguments: { message } });
      times.push(performance.now() - start);
      if (answer.length < size) throw new Error(`the ${label} echo came back short`);
    }
    big[label] = Math.min(...times);
  }
  await close();
  return { firstMs: first, p50: percentile(small, 50), p90: percentile(small, 90), big };
}

/** `mcp-sandbox run` of the everything fixture, with or without the gate in front. */
function launcherSetup(withGate) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/mcp-sandbox.js'), 'run', path.join(ROOT, 'test/fixtures/run/everything.yaml')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const closeChild = () => new Promise((resolve) => { child.once('close', resolve); child.stdin.end(); });
  if (!withGate) return { call: clientOver((line) => child.stdin.write(line), child.stdout), close: closeChild };
  const config = gateConfigOf({ tools: { deny: ['write_*', 'delete_*'] }, secretScan: SECRET_SCAN, audit: { arguments: 'redacted' } });
  const gate = createGate(config, {
    secrets: { API_TOKEN: 'bench-secret-value-never-sent' },
    mounts: [],
    audit: { record: (entry) => JSON.stringify(entry), close: async () => undefined },
    pinning: { drifted: () => ({ added: [], changed: [] }) },
  });
  gate.toServer.pipe(child.stdin);
  child.stdout.pipe(gate.toClient);
  return { call: clientOver((line) => gate.toServer.write(line), gate.toClient), close: async () => { gate.toServer.end(); await new Promise((resolve) => child.once('close', resolve)); await gate.close(); } };
}

async function measureEngine(withGate) {
  const { call, close } = launcherSetup(withGate);
  await call('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  await call('tools/list', {});
  for (let i = 0; i < 50; i += 1) await call('tools/call', { name: 'echo', arguments: { message: `warm ${i}` } });
  const small = [];
  for (let i = 0; i < rounds; i += 1) {
    const start = process.hrtime.bigint();
    await call('tools/call', { name: 'echo', arguments: { message: `hello ${i}` } });
    small.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const big = {};
  for (const [label, size, times] of [['1MB', 1_000_000, 7], ['10MB', 10_000_000, 3]]) {
    const message = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ'.repeat(Math.ceil(size / 64)).slice(0, size);
    const all = [];
    for (let i = 0; i < times; i += 1) {
      const start = performance.now();
      const answer = await call('tools/call', { name: 'echo', arguments: { message } });
      all.push(performance.now() - start);
      if (answer.length < size) throw new Error(`the ${label} echo came back short`);
    }
    big[label] = Math.min(...all);
  }
  await close();
  return { p50: percentile(small, 50), big };
}

if (args.includes('--engine')) {
  const runs = [];
  for (const withGate of [false, true, false, true]) runs.push(await measureEngine(withGate));
  const pick = (i, j) => ({ p50: Math.min(runs[i].p50, runs[j].p50), mb1: Math.min(runs[i].big['1MB'], runs[j].big['1MB']), mb10: Math.min(runs[i].big['10MB'], runs[j].big['10MB']) });
  const off = pick(0, 2);
  const on = pick(1, 3);
  const f = (n) => n.toFixed(3);
  process.stdout.write(
    `launcher echo p50: gate off ${f(off.p50)} ms, on ${f(on.p50)} ms (+${f(on.p50 - off.p50)} ms)\n` +
      `launcher 1 MB echo: off ${f(off.mb1)} ms, on ${f(on.mb1)} ms (${(on.mb1 / off.mb1).toFixed(2)}x)\n` +
      `launcher 10 MB echo: off ${f(off.mb10)} ms, on ${f(on.mb10)} ms (${(on.mb10 / off.mb10).toFixed(2)}x)\n`,
  );
  rmSync(outdir, { recursive: true, force: true });
  process.exit(0);
}

// Alternate to share the machine's noise fairly.
const direct = await measure(false);
const gated = await measure(true);
const direct2 = await measure(false);
const gated2 = await measure(true);
const best = (a, b) => ({ p50: Math.min(a.p50, b.p50), p90: Math.min(a.p90, b.p90), big: { '1MB': Math.min(a.big['1MB'], b.big['1MB']), '10MB': Math.min(a.big['10MB'], b.big['10MB']) }, firstMs: a.firstMs });
const d = best(direct, direct2);
const g = best(gated, gated2);
const result = {
  rounds,
  echoP50Ms: { direct: d.p50, gate: g.p50, addedMs: g.p50 - d.p50 },
  echoP90Ms: { direct: d.p90, gate: g.p90 },
  echo1MBMs: { direct: d.big['1MB'], gate: g.big['1MB'], ratio: g.big['1MB'] / d.big['1MB'] },
  echo10MBMs: { direct: d.big['10MB'], gate: g.big['10MB'], ratio: g.big['10MB'] / d.big['10MB'] },
  firstMessageMs: { direct: direct.firstMs, gate: gated.firstMs },
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
};
rmSync(outdir, { recursive: true, force: true });
if (asJson) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const f = (n) => n.toFixed(3);
  process.stdout.write(
    [
      `echo p50: direct ${f(d.p50)} ms, gate ${f(g.p50)} ms (+${f(g.p50 - d.p50)} ms); p90 ${f(d.p90)} / ${f(g.p90)} ms (${rounds} rounds)`,
      `1 MB echo: direct ${f(d.big['1MB'])} ms, gate ${f(g.big['1MB'])} ms (+${f(g.big['1MB'] - d.big['1MB'])} ms, ${(g.big['1MB'] / d.big['1MB']).toFixed(2)}x)`,
      `10 MB echo: direct ${f(d.big['10MB'])} ms, gate ${f(g.big['10MB'])} ms (+${f(g.big['10MB'] - d.big['10MB'])} ms, ${(g.big['10MB'] / d.big['10MB']).toFixed(2)}x)`,
      `first message (gate loads its core, ajv and the token patterns): direct ${f(direct.firstMs)} ms, gate ${f(gated.firstMs)} ms`,
      `rss ${result.rssMB} MB`,
    ].join('\n') + '\n',
  );
}
