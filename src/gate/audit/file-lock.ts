/**
 * A lock file around "read the chain's tail + append", so launchers of one profile can share a
 * day file and keep one valid chain. Node has no flock(2); an O_EXCL lock file holding the
 * owner's pid is enough here: the critical section is a tail read and one append, and a lock
 * left by a killed owner is taken over once that pid is gone (or the lock is older than
 * STALE_MS, for owners on another host sharing the directory). Waiting never blocks the event
 * loop: the session keeps running while a writer waits.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from '../../fs/process-alive.js';

const STALE_MS = 10_000;

async function isStale(file: string): Promise<boolean> {
  try {
    const [text, stats] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    if (Date.now() - stats.mtimeMs > STALE_MS) return true;
    const [pid, host] = text.split('\n');
    // Locks are created with their content (tryCreate), so a pid is always there.
    return host === hostname() && Number(pid) > 0 && !processAlive(Number(pid));
  } catch {
    // Gone (released, or taken over): never stale; removing now could remove its successor.
    return false;
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * unlink, a missing file counting as removed: one file-system call where fs.rm takes two
 * (lstat, then unlink), and a flush takes the lock once per batch of records.
 */
export async function removeFile(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Creates the lock with its content in one step (write a private file, then link it into
 * place: link fails with EEXIST when the lock is taken), so a writer killed at any moment never
 * leaves an empty lock that others would have to wait out.
 */
async function tryCreate(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(temp, `${process.pid}\n${hostname()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await removeFile(temp);
  }
}

/** Runs `body` holding the lock file `file`; the lock is released however `body` ends. */
export async function withFileLock<T>(file: string, body: () => Promise<T>): Promise<T> {
  for (let attempt = 0; !(await tryCreate(file)); attempt += 1) {
    if (await isStale(file)) await removeFile(file);
    else await pause(Math.min(1 + attempt, 20));
  }
  try {
    return await body();
  } finally {
    await removeFile(file);
  }
}
