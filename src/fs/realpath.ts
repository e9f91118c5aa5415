/**
 * Symlink resolution for paths that may not exist yet: a profile may name a mount source that is
 * created later, but a link on the way to it already decides where it points.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** More links than this in a row is a loop (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * The real path of `file` with every symlink resolved: `realpath` of its longest existing
 * prefix, with the rest appended as written. A dangling link is followed to where it points
 * (it decides where a later write lands). Never throws; with no existing prefix at all the
 * path comes back unchanged.
 */
export function realpathLongestPrefix(file: string, depth = 0): string {
  const rest: string[] = [];
  // `run` resolves every sensitive path on each start and most do not exist: probe with
  // existsSync/lstat (no exception per missing path), then one realpath of what exists.
  for (let head = path.resolve(file); ; ) {
    if (existsSync(head)) {
      const real = resolved(head);
      return rest.length === 0 ? real : path.join(real, ...rest.reverse());
    }
    const target = danglingTarget(head);
    if (target !== undefined && depth < MAX_LINKS) return realpathLongestPrefix(path.join(target, ...rest.reverse()), depth + 1);
    const parent = path.dirname(head);
    if (parent === head) return file;
    rest.push(path.basename(head));
    head = parent;
  }
}

function resolved(existing: string): string {
  try {
    return realpathSync.native(existing);
  } catch {
    return existing; // removed in between, or unreadable: as written
  }
}

/** Where a symlink that cannot be resolved points, or undefined when `file` is no symlink. */
function danglingTarget(file: string): string | undefined {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (!stat?.isSymbolicLink()) return undefined;
  try {
    return path.resolve(path.dirname(file), readlinkSync(file));
  } catch {
    return undefined;
  }
}
