import { mkdirSync, mkdtempSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOOPBACK_DIR_PREFIX, sweepLoopbackDirs } from '../../../src/egress/sweep.js';

describe('sweepLoopbackDirs', () => {
  test("removes the sockets directories of dead launchers only, and nothing that is not one", () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sweep-dirs-'));
    const dead = path.join(root, `${LOOPBACK_DIR_PREFIX}4242-abc`);
    const live = path.join(root, `${LOOPBACK_DIR_PREFIX}${process.pid}-def`);
    const other = path.join(root, `${LOOPBACK_DIR_PREFIX}spares`);
    const unrelated = path.join(root, 'mcp-sandbox-gate-4242-x');
    for (const dir of [dead, live, other, unrelated]) mkdirSync(dir);
    // A link with a dead pid's name is not followed: what it points to stays.
    const target = mkdtempSync(path.join(tmpdir(), 'sweep-dirs-target-'));
    symlinkSync(target, path.join(root, `${LOOPBACK_DIR_PREFIX}4243-link`));
    mkdirSync(path.join(dead, 'sockets'));
    writeFileSync(path.join(dead, 'sockets', '10443.sock'), '');
    const isAlive = (pid: number): boolean => pid === process.pid;
    expect(sweepLoopbackDirs({ root, isAlive, dryRun: true })).toEqual([dead]);
    expect(existsSync(dead)).toBe(true);
    expect(sweepLoopbackDirs({ root, isAlive })).toEqual([dead]);
    expect([dead, live, other, unrelated, target].map((d) => existsSync(d))).toEqual([false, true, true, true, true]);
  });

  test('a temp dir that cannot be read sweeps nothing and does not throw', () => {
    expect(sweepLoopbackDirs({ root: path.join(tmpdir(), 'no-such-dir-for-sweep'), isAlive: () => false })).toEqual([]);
  });
});
