/**
 * The semantic-checks stage of normalize: what the schema cannot say. One mount per container
 * path, no reserved label keys. (memorySwap against memory is checked with the units.)
 */
import path from 'node:path';
import { RESERVED_LABEL_PREFIX } from '../labels.js';
import type { Fail } from './normalize.js';
import { toPointer } from './pointer.js';
import type { NormalizedMount, NormalizedTmpfs } from './types.js';

/**
 * The engine refuses two binds on a path ("Duplicate mount point") and silently keeps one of
 * two tmpfs; a tmpfs over a mount hides the mount.
 */
export function checkMountTargets(tmpfs: readonly NormalizedTmpfs[], mounts: readonly NormalizedMount[], fail: Fail): void {
  const taken = new Map<string, string>();
  const claim = (target: string, pointer: string, field: string): void => {
    const key = path.posix.normalize(target).replace(/(.)\/+$/, '$1');
    const previous = taken.get(key);
    if (previous) fail(pointer, `${field} ${JSON.stringify(target)} is already used by ${previous}`, 'use one mount per container path');
    taken.set(key, field);
  };
  tmpfs.forEach((t, i) => claim(t.path, `/filesystem/tmpfs/${i}/path`, `filesystem.tmpfs[${i}].path`));
  mounts.forEach((m, i) => claim(m.target, `/filesystem/mounts/${i}/target`, `filesystem.mounts[${i}].target`));
}

/** Labels under mcp-sandbox. are the launcher's own (profile, pid, version): a profile may not set them. */
export function checkLabels(labels: Readonly<Record<string, string>>, failAtKey: Fail): void {
  for (const key of Object.keys(labels)) {
    if (key.startsWith(RESERVED_LABEL_PREFIX)) failAtKey(toPointer(['labels', key]), `label "${key}" is reserved for mcp-sandbox`, 'choose a key outside the mcp-sandbox. prefix');
  }
}
