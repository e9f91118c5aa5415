import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { takePidLock } from '../../../src/fs/pid-lock.js';

describe('takePidLock', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pid-lock-'));

  test('a free lock is taken: the file holds this pid, owner-only', () => {
    const file = path.join(dir, 'free.pid');
    expect(takePidLock(file, () => true)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('a live holder keeps it: false, the file untouched, the holder asked once', () => {
    const file = path.join(dir, 'live.pid');
    writeFileSync(file, '4242');
    const asked: string[] = [];
    expect(takePidLock(file, (f) => (asked.push(f), true))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('4242');
    expect(asked).toEqual([file]);
  });

  test('a gone holder is taken over', () => {
    const file = path.join(dir, 'stale.pid');
    writeFileSync(file, '4242');
    expect(takePidLock(file, () => false)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
  });
});
