/**
 * The one atomic file writer: readers see the old file or the new one, never half of one.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a new file (an existing file keeps its own); default 0o666 before umask. */
  mode?: number;
  /** Create missing parent directories with this mode; default: create them with the umask's. */
  dirMode?: number;
  /** An existing file keeps its own mode (default); false: `mode` always applies. */
  keepMode?: boolean;
  /** fsync file and directory (default); false for caches, where a lost write only means a miss. */
  durable?: boolean;
}

/**
 * Replaces `file` with `data`: temp file in the same directory (same filesystem), fsync,
 * rename over, fsync the directory. The original mode is kept.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, ...(options.dirMode !== undefined ? { mode: options.dirMode } : {}) });
  const existing = options.keepMode === false ? undefined : modeOf(file);
  const mode = existing ?? options.mode;
  const durable = options.durable !== false;
  const temp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const fd = openSync(temp, 'wx', mode ?? 0o666);
  try {
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (existing !== undefined) chmodSync(temp, existing); // umask may have narrowed it
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  if (durable) fsyncDirectory(dir);
}

function modeOf(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o7777;
  } catch {
    return undefined;
  }
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is not supported everywhere (Windows); the rename already happened.
  }
}
