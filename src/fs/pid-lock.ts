/**
 * A pid lock: a file created exclusively (owner-only) holding its holder's pid. One whose holder
 * is gone is taken over; what counts as a live holder is the caller's (the warm pool's helpers
 * wake theirs, src/run/warm-lock.ts; the egress spare keeper checks that the pid is a keeper,
 * src/egress/spare-keeper.ts).
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** Takes the lock at `file`; false when `holderAlive(file)` says its holder still runs. */
export function takePidLock(file: string, holderAlive: (file: string) => boolean): boolean {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      if (holderAlive(file)) return false;
      try {
        unlinkSync(file);
      } catch {
        // someone else cleared it
      }
    }
  }
  return false;
}
