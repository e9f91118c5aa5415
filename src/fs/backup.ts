/**
 * Backups of a user's file before it is replaced (client configs, daemon.json): one naming, so
 * `desktop` and `setup` backups sort and read alike.
 */
import { chmodSync, copyFileSync, existsSync, statSync } from 'node:fs';

/** Copies `file` to `<file>.bak-YYYYMMDDTHHMMSSZ` (-N when that exists), same mode as the original. */
export function backupFile(file: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  let backup = `${file}.bak-${stamp}`;
  for (let n = 1; existsSync(backup); n++) backup = `${file}.bak-${stamp}-${n}`;
  copyFileSync(file, backup);
  chmodSync(backup, statSync(file).mode & 0o777);
  return backup;
}
