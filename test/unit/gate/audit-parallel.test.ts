/**
 * Several launcher processes of one profile append to the same day file at the same time (and
 * rotate it): the lock around "read tail + append" must leave one chain that verifies, with
 * every record present exactly once. The writer is bundled with esbuild so real node processes
 * run it, as launchers would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { verifyAuditFiles } from '../../../src/gate/audit/verify.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const WRITERS = 4;
const RECORDS = 150;

let work: string;
let bundle: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ms-audit-par-'));
  bundle = path.join(work, 'log.mjs');
  await build({ entryPoints: [path.join(ROOT, 'src/gate/audit/log.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
  writeFileSync(
    path.join(work, 'writer.mjs'),
    `import { openAuditLog } from './log.mjs';
import { existsSync } from 'node:fs';
const [dir, session, count, maxBytes, go] = process.argv.slice(2);
// Start together: wait for the go file, so the writers overlap.
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 5));
const log = openAuditLog({ profile: 'par', env: { MCP_SANDBOX_AUDIT_DIR: dir }, session, maxSegmentBytes: Number(maxBytes), onProblem: (m) => { console.error(m); process.exitCode = 3; } });
for (let i = 0; i < Number(count); i += 1) {
  log.record({ type: 'call', method: 'tools/call', id: i, writer: session });
  // Mix batch sizes: sometimes let a flush happen, sometimes queue several records.
  // Spread each writer over ~100 ms or more, so the four overlap even when they start skewed.
  if (i % 3 === 0) await new Promise((r) => setImmediate(r));
  else await new Promise((r) => setTimeout(r, 1));
}
await log.close();
`,
  );
}, 30_000);

function runWriter(dir: string, session: string, maxBytes: number, go: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(work, 'writer.mjs'), dir, session, String(RECORDS), String(maxBytes), go], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test.each([
  ['one segment', 1 << 30],
  ['rotating every ~8 KB', 8 * 1024],
])(`${WRITERS} parallel writers keep one verifiable chain (%s)`, async (_label, maxBytes) => {
  const dir = path.join(work, `audit-${maxBytes}`);
  const go = path.join(work, `go-${maxBytes}`);
  const running = Array.from({ length: WRITERS }, (_, i) => runWriter(dir, `w${i}`, maxBytes, go));
  setTimeout(() => writeFileSync(go, ''), 300);
  const results = await Promise.all(running);
  for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  if (maxBytes < 1 << 20) expect(files.length).toBeGreaterThan(3);
  else expect(files).toHaveLength(1);
  const report = verifyAuditFiles([], dir);
  expect(report.broken).toBeUndefined();
  expect(report.lines).toBe(WRITERS * RECORDS);
  const records = report.files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; writer: string; id: number }));
  expect(records.map((r) => r.seq)).toEqual(Array.from({ length: WRITERS * RECORDS }, (_, i) => i + 1));
  const seen = new Set(records.map((r) => `${r.writer}/${r.id}`));
  expect(seen.size).toBe(WRITERS * RECORDS);
  // The writers really ran at the same time (otherwise this test proves nothing about the lock):
  // their records interleave in the chain, beyond the WRITERS - 1 switches of one after another.
  const switches = records.filter((r, i) => i > 0 && records[i - 1]!.writer !== r.writer).length;
  expect(switches).toBeGreaterThanOrEqual(WRITERS);
  expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
}, 60_000);
