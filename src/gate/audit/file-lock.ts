/**
 * A lock file around "read the chain's tail + append", so launchers of one profile can share a
 * day file and keep one valid chain. Node has no flock(2); an O_EXCL lock file holding the
 * owner's pid is enough here: the critical section is a tail read and one append, and a lock
 * left by a killed owner is taken over once that pid is gone (or the lock is older than
 * STALE_MS, for owners on another host sharing the directory). Waiting never blocks the event
 * loop: the session keeps running while a writer waits.
 */
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from '../../fs/process-alive.js';

const STALE_MS = 10_000;


async function isStale(file: string): Promise<boolean> {
  try {
    const [text, stats] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    if (Date.now() - stats.mtimeMs > STALE_MS) return true;
    const [pid, host] = text.split('\n');
    // A lock being written has no pid yet: not stale.
    return host === hostname() && Number(pid) > 0 && !processAlive(Number(pid));
  } catch {
    // Gone (released, or taken over): never stale; removing now could remove its successor.
    return false;
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` holding the lock file `file`; the lock is released however `body` ends. */
export async function withFileLock<T>(file: string, body: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n${hostname()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(file)) await fs.rm(file, { force: true });
      else await pause(Math.min(1 + attempt, 20));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(file, { force: true });
  }
}
