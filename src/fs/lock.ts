/**
 * An exclusive lock around a read-modify-write of a file another process may change at the same
 * time (a client config that several `desktop --install` runs edit at once).
 *
 * Our own, not proper-lockfile: the config code is synchronous, and proper-lockfile's lockSync
 * cannot wait for a held lock. The lock is `<file>.lock`, created with O_EXCL and holding
 * "pid hostname token". It is stale when its pid is gone on this host, or when it is older than
 * STALE_MS (a holder on another host, or a pid reused); a stale lock is moved aside with an
 * atomic rename and checked to be the one that was judged stale before it is deleted.
 */
import { hostname } from 'node:os';
import { linkSync, openSync, closeSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SandboxError } from '../errors.js';
import { processAlive } from './process-alive.js';

export interface LockOptions {
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is stale whatever its pid; default 30 s (a holder needs milliseconds). */
  staleMs?: number;
}

const POLL_MS = 10;

/** Runs `fn` while holding the lock of `file`; the lock is released however `fn` ends. */
export function withFileLock<T>(file: string, fn: () => T, options: LockOptions = {}): T {
  const lock = `${file}.lock`;
  const token = `${process.pid} ${hostname()} ${randomBytes(8).toString('hex')}`;
  acquire(lock, token, options.timeoutMs ?? 10_000, options.staleMs ?? 30_000);
  try {
    return fn();
  } finally {
    release(lock, token);
  }
}

function acquire(lock: string, token: string, timeoutMs: number, staleMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(lock, token)) return;
    const held = readLock(lock);
    if (held !== undefined && isStale(lock, held, staleMs)) breakStale(lock, held);
    else if (Date.now() > deadline) {
      throw new SandboxError('CONFIG_CONFLICT', `${lock} is held by another mcp-sandbox (${held?.split(' ').slice(0, 2).join(' on ') ?? 'unknown'})`, {
        hint: 'wait for it to finish; if no mcp-sandbox is running, delete the lock file',
      });
    } else sleep(POLL_MS);
  }
}

function tryCreate(lock: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
}

function isStale(lock: string, held: string, staleMs: number): boolean {
  const [pid, host] = held.split(' ');
  let age: number;
  try {
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {
    return false; // gone already: the next try takes it
  }
  if (age > staleMs) return true;
  // A lock being written right now reads empty: never stale for lack of a pid.
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  return !processAlive(Number(pid));
}


/** Moves the stale lock aside; if another process replaced it meanwhile, puts that one back. */
function breakStale(lock: string, held: string): void {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else broke it first
  }
  if (readLock(aside) !== held) {
    try {
      linkSync(aside, lock); // never overwrites: fails when a third process holds it by now
    } catch {
      // The lock is taken again; the moved-aside one was not stale, but it is released anyway.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

function release(lock: string, token: string): void {
  if (readLock(lock) !== token) return; // broken as stale: not ours any more
  try {
    unlinkSync(lock);
  } catch {
    // already gone
  }
}

const WAIT = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (the config code is synchronous). */
function sleep(ms: number): void {
  Atomics.wait(WAIT, 0, 0, ms);
}
