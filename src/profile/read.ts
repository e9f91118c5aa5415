/**
 * Read stage: the only way a profile, a base profile or a seccomp file is read. Only a regular
 * UTF-8 text file of at most MAX_INPUT_BYTES is accepted; everything else is refused before or
 * instead of being used, so no later stage (and no error message) ever sees the bytes of
 * /dev/zero, a FIFO, /proc/self/environ or a binary key file.
 *
 * The file is opened with O_NONBLOCK, so a FIFO cannot block the open, and checked with fstat
 * on the open descriptor, so what is checked is what is read. Pseudo-files (procfs, sysfs)
 * report a size of 0 and then yield bytes: reading one byte more than fstat promised refuses
 * them. Refusals carry a `code` that `unreadableReason` (src/errors.ts) words.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Largest input accepted: a generous profile is a few KiB; the bound keeps parsing linear and cheap. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** A refused input, with a code `unreadableReason` knows. */
export class UnusableFileError extends Error {
  readonly code: 'ENOTREG' | 'EFBIG' | 'ESPECIAL' | 'ENOTTEXT';
  constructor(file: string, code: UnusableFileError['code']) {
    super(`${file}: ${code}`);
    this.name = 'UnusableFileError';
    this.code = code;
  }
}

/** The bytes of a regular file of at most MAX_INPUT_BYTES, or throws (errno or UnusableFileError). */
export function readInputBytes(file: string, limit = MAX_INPUT_BYTES): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error(`${file}: EISDIR`), { code: 'EISDIR' });
    if (!stat.isFile()) throw new UnusableFileError(file, 'ENOTREG');
    if (stat.size > limit) throw new UnusableFileError(file, 'EFBIG');
    // One byte more than promised tells a pseudo-file (or a file growing under us) apart.
    const buffer = Buffer.allocUnsafe(stat.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > stat.size) throw new UnusableFileError(file, 'ESPECIAL');
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The text of an input file: readInputBytes, then refused unless it is UTF-8 without NUL bytes. */
export function readInputText(file: string, limit = MAX_INPUT_BYTES): { text: string; bytes: Buffer } {
  const bytes = readInputBytes(file, limit);
  return { text: decodeText(file, bytes), bytes };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly; a NUL byte or an invalid sequence means the file is not text. */
export function decodeText(file: string, bytes: Buffer): string {
  if (bytes.includes(0)) throw new UnusableFileError(file, 'ENOTTEXT');
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new UnusableFileError(file, 'ENOTTEXT');
  }
}
