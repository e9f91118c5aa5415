/**
 * scripts/demo.sh on a machine where it cannot work: one paragraph saying what is missing,
 * exit status non-zero, nothing attempted. (The working path is exercised by `npm run demo`.)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

/** A PATH directory whose `name` prints `output` (shadowing the real command). */
function fakeBin(commands: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-demo-bin-'));
  for (const [name, script] of Object.entries(commands)) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

function demo(commands: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const bin = fakeBin(commands);
  const result = spawnSync('bash', [path.join(ROOT, 'scripts', 'demo.sh')], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('not Linux: explains gVisor needs Linux and exits 1', () => {
  const r = demo({ uname: 'echo Darwin' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/cannot run here: it needs Linux/);
  expect(r.stderr).toMatch(/Darwin/);
});

test('not root: explains why root is needed and exits 1', () => {
  const r = demo({ id: 'if [ "$1" = "-u" ]; then echo 1000; else /usr/bin/id "$@"; fi' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/it needs root/);
});
