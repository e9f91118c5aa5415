/**
 * The pid locks of the warm pool's helper processes (./warm-reaper.ts, ./warm-refill.ts): a file
 * created exclusively (owner-only) holding the holder's pid. A lock whose pid is gone is taken
 * over; a live holder is woken with SIGUSR2 instead, so the work it was asked for is done by the
 * one process that holds it.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { takePidLock } from '../fs/pid-lock.js';

/** The signal that wakes a holder: "look again now" (sweep, recount). Never SIGUSR1: node starts its inspector on it. */
export const WAKE_SIGNAL = 'SIGUSR2';

/** The locks this process holds, released on SIGTERM too (releaseAllLocks). */
const held = new Set<string>();

/** Takes the lock, or wakes its live holder and returns false. */
export function takeLock(file: string): boolean {
  if (!takePidLock(file, wakeHolder)) return false;
  held.add(file);
  return true;
}

/** Wakes the live holder of a lock; false when there is none. */
export function wakeHolder(file: string): boolean {
  const holder = holderPid(file);
  if (holder === undefined) return false;
  try {
    process.kill(holder, WAKE_SIGNAL);
  } catch {
    // it just left; whoever asked finds the lock free next time (the holder re-checks after release)
  }
  return true;
}

/**
 * The live process holding the lock, if any (not this one). A lock left by a holder that was
 * killed may name a pid reused by an unrelated process, which SIGUSR2 would end: where /proc
 * tells, only a pool reaper counts as the holder.
 */
export function holderPid(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid! : undefined;
  }
  return isReaper(pid) ? pid : undefined;
}

function isReaper(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return cmdline.split('\0').includes(REAPER_FLAG);
}

/** The argument that makes dist/watchdog.js a pool reaper (and tells its pid locks' holders). */
export const REAPER_FLAG = '--pool-reaper';

export function releaseLock(file: string): void {
  held.delete(file);
  try {
    if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
  } catch {
    // gone already
  }
}

/** Releases every lock this process holds (a refiller ended by `warm --stop`). */
export function releaseAllLocks(): void {
  for (const file of [...held]) releaseLock(file);
}
