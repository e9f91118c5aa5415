/**
 * Symlink resolution for paths that may not exist yet: a profile may name a mount source that is
 * created later, but a link on the way to it already decides where it points.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** More links than this in a row is a loop (Linux's own limit is 40). */
const MAX_LINKS = 40;

/**
 * A memoizing resolver: the real path of a file with every symlink resolved, component by
 * component; components that do not exist are kept as written; a dangling link is followed to
 * where it points (it decides where a later write lands). Never throws.
 *
 * One lstat per path component, shared by every path resolved with the same resolver: `run`
 * resolves the whole sensitive-path list on each start, and those paths share their parents.
 */
export function createRealpath(): (file: string) => string {
  const cache = new Map<string, string>();
  // `absolute` is absolute and normalized: path.resolve once per outside call, not per component.
  const resolve = (absolute: string, depth: number): string => {
    const known = cache.get(absolute);
    if (known !== undefined) return known;
    const parent = path.dirname(absolute);
    const base = parent === absolute ? absolute : path.join(resolve(parent, depth), path.basename(absolute));
    let real = base;
    const stat = parent === absolute ? undefined : statOf(base);
    if (stat?.isSymbolicLink() && depth < MAX_LINKS) {
      try {
        real = resolve(path.resolve(path.dirname(base), readlinkSync(base)), depth + 1);
      } catch {
        real = base; // unreadable link: as written
      }
    }
    cache.set(absolute, real);
    return real;
  };
  return (file) => resolve(path.resolve(file), 0);
}

/** lstat that never throws: a loop (ELOOP) or an unreadable directory counts as not there. */
function statOf(file: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The real path of `file` (see createRealpath), with a resolver of its own. */
export function realpathLongestPrefix(file: string): string {
  return createRealpath()(file);
}
