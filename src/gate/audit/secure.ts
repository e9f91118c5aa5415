/**
 * The audit directory and files are private to the user: directory 0700, files 0600, never
 * through a symlink and never owned by someone else (a planted file or link would let another
 * account read or redirect the log).
 */
import { constants, promises as fs, type Stats } from 'node:fs';

/** Why the log refuses a path; the message names the path and the fix. */
export class AuditPathError extends Error {}

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

function checkOwner(stats: Stats, target: string, what: string): void {
  const me = uid();
  if (me !== undefined && stats.uid !== me) throw new AuditPathError(`${what} ${target} is owned by uid ${stats.uid}, not by this user (${me}); refusing to write the audit log there`);
}

/** Creates the directory (0700) or checks the existing one; a looser mode on our own directory is tightened. */
export async function ensureAuditDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await fs.lstat(dir);
  if (stats.isSymbolicLink()) throw new AuditPathError(`audit directory ${dir} is a symlink; refusing to write the audit log there`);
  if (!stats.isDirectory()) throw new AuditPathError(`audit directory ${dir} is not a directory`);
  checkOwner(stats, dir, 'audit directory');
  if ((stats.mode & 0o077) !== 0) await fs.chmod(dir, 0o700);
}

/** Opens a segment for appending (created 0600). A symlink fails (O_NOFOLLOW); a foreign or linked file is refused. */
export async function openForAppend(file: string): Promise<fs.FileHandle> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new AuditPathError(`audit file ${file} is a symlink; refusing to write through it`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new AuditPathError(`audit file ${file} is not a regular file`);
    checkOwner(stats, file, 'audit file');
    if (stats.nlink > 1) throw new AuditPathError(`audit file ${file} has ${stats.nlink} hard links; refusing to write to it`);
    if ((stats.mode & 0o077) !== 0) await handle.chmod(0o600);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
