/**
 * The `--dry-run` account: a unified diff per file (jsdiff's createTwoFilesPatch) and the
 * commands setup would run, as a shell user would type them.
 */
import { createTwoFilesPatch } from 'diff';
import type { FileChange } from './files.js';

/** A unified diff of one change; a new file is a diff from /dev/null. */
export function fileDiff(change: FileChange): string {
  const from = change.before === undefined ? '/dev/null' : change.file;
  const patch = createTwoFilesPatch(from, change.file, change.before ?? '', change.after, undefined, undefined, { context: 3 });
  // Drop jsdiff's "Index:"/"====" header: `--- a` / `+++ b` is what diff(1) prints.
  return patch
    .split('\n')
    .filter((line, i) => !(i < 2 && (line.startsWith('Index:') || /^=+$/.test(line))))
    .join('\n')
    .replace(/\n$/, '');
}

/** An argv as a shell line: words with shell metacharacters single-quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
