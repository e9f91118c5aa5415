/** Setup's file writes: backup of the old bytes, atomic replacement, nothing for an unchanged file. */
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyFileChange, readOptional } from '../../../src/setup/files.js';

function dir(): string {
  return mkdtempSync(path.join(tmpdir(), 'mcp-sandbox-setup-files-'));
}

describe('applyFileChange', () => {
  it('creates a missing file and its directories, with no backup', () => {
    const file = path.join(dir(), 'a', 'b', 'daemon.json');
    expect(applyFileChange({ file, role: 't', before: undefined, after: '{}\n' })).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe('{}\n');
  });

  it('backs up the old bytes (same mode) before replacing, and leaves no temp file', () => {
    const d = dir();
    const file = path.join(d, 'daemon.json');
    writeFileSync(file, '{"old": true}\n');
    chmodSync(file, 0o640);
    const backup = applyFileChange({ file, role: 't', before: '{"old": true}\n', after: '{"new": true}\n' }, new Date('2026-12-01T10:00:00Z'));
    expect(backup).toBe(`${file}.bak-20261201T100000Z`);
    expect(readFileSync(backup as string, 'utf8')).toBe('{"old": true}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"new": true}\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(backup as string).mode & 0o777).toBe(0o640);
    expect(readdirSync(d).sort()).toEqual(['daemon.json', 'daemon.json.bak-20261201T100000Z']);
  });

  it('does not touch a file that would not change (same inode, same mtime)', () => {
    const file = path.join(dir(), 'daemon.json');
    writeFileSync(file, 'x');
    const before = statSync(file);
    expect(applyFileChange({ file, role: 't', before: 'x', after: 'x' })).toBeUndefined();
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('writes through a symlink to its target, keeping the link', () => {
    const d = dir();
    const target = path.join(d, 'real.json');
    writeFileSync(target, '{}');
    const link = path.join(d, 'daemon.json');
    symlinkSync(target, link);
    applyFileChange({ file: link, role: 't', before: '{}', after: '{"a": 1}' });
    expect(readFileSync(target, 'utf8')).toBe('{"a": 1}');
    expect(readdirSync(d).filter((n) => n.startsWith('real.json.bak-'))).toHaveLength(1);
  });

  it('readOptional: undefined for a missing file, a named error for a directory', () => {
    const d = dir();
    expect(readOptional(path.join(d, 'none'))).toBeUndefined();
    expect(() => readOptional(d)).toThrow(new RegExp(`${d} is a directory`));
  });
});
