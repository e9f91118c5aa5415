/**
 * How setup changes a file: a timestamped backup of the old bytes next to it, then an atomic
 * replacement (src/fs/atomic-write.ts: temp file, fsync, rename), through a
 * symlink to its target. A file that would not change is never touched.
 */
import { chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { backupFile } from '../fs/backup.js';
import { processAlive } from '../fs/process-alive.js';
import { SandboxError, unreadableReason } from '../errors.js';

/** A file setup wants to change: its path, what is there now (undefined: no file) and what it wants. */
export interface FileChange {
  file: string;
  /** What the file is, for the user: "dockerd config", "mcp-sandbox user config". */
  role: string;
  before: string | undefined;
  after: string;
  /** Owner for a file (and directories) setup creates, e.g. the sudo user for their config. */
  owner?: { uid: number; gid: number };
}

/** The file's text, undefined when it does not exist; other read errors name the file. */
export function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError('INPUT_UNREADABLE', `${file} ${unreadableReason(error)}`, { hint: 'setup needs to read it to merge into it' });
  }
}


function targetOf(file: string): string {
  try {
    if (lstatSync(file).isSymbolicLink()) return realpathSync(file);
  } catch {
    // does not exist yet
  }
  return file;
}

/** The directories `mkdir -p` would create for `dir`, outermost first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  return missing;
}

/** Applies one change: backup (when the file existed), atomic write, owner for what it created. Returns the backup path. */
export function applyFileChange(change: FileChange, now?: Date): string | undefined {
  const target = targetOf(change.file);
  if (change.before === change.after) return undefined;
  const created = missingDirs(path.dirname(target));
  mkdirSync(path.dirname(target), { recursive: true });
  const backup = change.before === undefined ? undefined : backupFile(target, now);
  writeFileAtomic(target, change.after);
  if (change.owner && change.before === undefined) {
    for (const item of [...created, target]) chownSync(item, change.owner.uid, change.owner.gid);
  }
  return backup;
}

/**
 * Runs `fn` holding `<file>.mcp-sandbox-lock` (O_EXCL, with our pid), so two setups cannot
 * interleave their read-merge-write of the same daemon.json. A lock whose pid is gone is stale.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${file}.mcp-sandbox-lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt += 1) {
    try {
      const fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(lock, error);
      const holder = Number(readOptional(lock)?.trim());
      if (holder > 0 && processAlive(holder)) throw lockError(lock, error, holder);
      rmSync(lock, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}


function lockError(lock: string, error: unknown, holder?: number): SandboxError {
  return new SandboxError('CONFIG_CONFLICT', holder ? `another mcp-sandbox setup (pid ${holder}) is changing the engine config: ${lock} is held` : `cannot take the lock ${lock}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
    hint: holder ? 'wait for it to finish, then rerun setup' : 'check the directory\'s permissions',
  });
}
