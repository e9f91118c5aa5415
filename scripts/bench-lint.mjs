// Lint benchmark: generates 1,000 profiles (a mix of clean, weak and justified ones) in a temp
// directory and times `mcp-sandbox lint` on all of them with the built CLI, as a user runs it.
// Target: under 2 s. Run `npm run build` first.
//   node scripts/bench-lint.mjs [count]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-bench-lint-'));

const variants = [
  (i) => `version: 1\nname: clean-${i}\nimage: mcp/clean:1.${i}.0@sha256:${'a'.repeat(64)}\nuser: "10001:10001"\n`,
  (i) => `version: 1\nname: weak-${i}\nimage: mcp/weak:latest\nruntime: runc\nnetwork: host\nresources:\n  memory: 0\n  pids: 0\nfilesystem:\n  readOnlyRoot: false\n  mounts:\n    - source: /etc\n      target: /host-etc\nsecurity:\n  capAdd: [SYS_ADMIN]\n  noNewPrivileges: false\nenv:\n  GITHUB_TOKEN: ghp_${'x1Y2'.repeat(9)}\n`,
  (i) => `version: 1\nname: net-${i}\nimage: mcp/net:2.0.${i}\nuser: "10001:10001"\nnetwork: bridge\nenv:\n  LOG_LEVEL: info\nsecrets: [API_TOKEN]\nfilesystem:\n  mounts:\n    - type: volume\n      source: data-${i}\n      target: /data\n      readOnly: false\njustifications:\n  MS201: calls the vendor API\n  MS303: keeps its cache\n`,
];
for (let i = 0; i < count; i++) writeFileSync(path.join(dir, `p${String(i).padStart(4, '0')}.yaml`), variants[i % variants.length](i));

const start = process.hrtime.bigint();
const result = spawnSync(process.execPath, [path.join(repo, 'bin/mcp-sandbox.js'), 'lint', dir, '--format', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
rmSync(dir, { recursive: true, force: true });
if (result.status !== 1) {
  process.stderr.write(`unexpected exit ${result.status}: ${result.stderr}\n`);
  process.exit(1);
}
const { files, summary } = JSON.parse(result.stdout);
process.stdout.write(`${files.length} profiles linted in ${seconds.toFixed(2)} s (whole process, including node start-up); ${JSON.stringify(summary)}\n`);
process.exit(files.length === count && seconds < 2 ? 0 : 1);
