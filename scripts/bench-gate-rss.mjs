// Peak RSS of the gate carrying the benchmark's session shape (three 1 MiB echoes and one
// 10,000,000-byte echo, server-everything's answer layout) in-process, against a plain
// PassThrough in the same place. One variant per process: node scripts/bench-gate-rss.mjs gate|off
// Also prints the peaks of process.memoryUsage() (heapUsed, external, arrayBuffers) over the run:
// the harness's own strings are in them too, so compare gate with off, not the figures alone.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const variant = process.argv[2] ?? 'gate';
const outdir = mkdtempSync(path.join(tmpdir(), 'bench-gate-rss-'));
await build({
  entryPoints: { gate: path.join(ROOT, 'src/gate/gate.ts'), config: path.join(ROOT, 'src/gate/config.ts') },
  outdir, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const { createGate } = await import(pathToFileURL(path.join(outdir, 'gate.js')).href);
const { gateConfigOf } = await import(pathToFileURL(path.join(outdir, 'config.js')).href);

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const hwmKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
let peak = 0;
const mem = { heapUsed: 0, external: 0, arrayBuffers: 0 };
const poll = setInterval(() => {
  peak = Math.max(peak, rssKb());
  const m = process.memoryUsage();
  for (const k of Object.keys(mem)) mem[k] = Math.max(mem[k], m[k]);
}, 5);

const TOOLS = [{ name: 'echo', inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } }];
// The server: answers from the request's id and a precomputed payload, delivered in 64 KB pieces.
const toServer = variant === 'gate' ? null : new PassThrough();
const toClient = variant === 'gate' ? null : new PassThrough();
const gate = variant === 'gate' ? createGate(gateConfigOf({}), { secrets: { API_TOKEN: 'bench-secret-value-never-sent' }, mounts: [], audit: { record: (e) => JSON.stringify(e), close: async () => undefined }, pinning: { drifted: () => ({ added: [], changed: [] }) } }) : null;
const up = gate ? gate.toServer : toServer;
const down = gate ? gate.toClient : toClient;
let serverWait;
up.on('data', (chunk) => { if (chunk.includes(10)) serverWait?.(); });
let clientWait;
down.on('data', (chunk) => { if (chunk.includes(10)) clientWait?.(); });
const sleep = () => new Promise((r) => setImmediate(r));
async function deliver(stream, bytes) {
  for (let at = 0; at < bytes.length; at += 65536) { if (at > 0) await sleep(); stream.write(bytes.subarray(at, at + 65536)); }
}
let id = 0;
async function call(method, params, answer) {
  id += 1;
  const request = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  const reached = new Promise((r) => { serverWait = r; });
  await deliver(up, request);
  await reached;
  const back = new Promise((r) => { clientWait = r; });
  await deliver(down, Buffer.from(`${JSON.stringify({ result: answer, jsonrpc: '2.0', id })}\n`));
  await back;
}
await call('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'b', version: '1' } }, { capabilities: {} });
await call('tools/list', {}, { tools: TOOLS });
for (let i = 0; i < 100; i += 1) await call('tools/call', { name: 'echo', arguments: { message: `ping ${i}` } }, { content: [{ type: 'text', text: `Echo: ping ${i}` }] });
await new Promise((r) => setTimeout(r, 200));
const before = rssKb();
const big = 'x'.repeat(1024 * 1024);
for (let i = 0; i < 3; i += 1) await call('tools/call', { name: 'echo', arguments: { message: big } }, { content: [{ type: 'text', text: `Echo: ${big}` }] });
const huge = 'y'.repeat(10_000_000);
const t = performance.now();
await call('tools/call', { name: 'echo', arguments: { message: huge } }, { content: [{ type: 'text', text: `Echo: ${huge}` }] });
const ms = performance.now() - t;
clearInterval(poll);
process.stdout.write(`${variant}: rss before big ${(before / 1024).toFixed(1)} MB, peak ${(Math.max(peak, hwmKb()) / 1024).toFixed(1)} MB, 10 MB call ${ms.toFixed(0)} ms; peak heapUsed ${(mem.heapUsed / 1048576).toFixed(1)} MB, external ${(mem.external / 1048576).toFixed(1)} MB, arrayBuffers ${(mem.arrayBuffers / 1048576).toFixed(1)} MB\n`);
process.exit(0);
