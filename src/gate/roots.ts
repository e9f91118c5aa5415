/** The answer to a server's roots/list under `roots: mounts`: the container paths of the mounts. */
import { pathToFileURL } from 'node:url';
import type { GateMount } from './types.js';

export interface Root { uri: string; name: string }

export function rootsOfMounts(mounts: readonly GateMount[]): Root[] {
  return mounts.map((mount) => ({
    uri: pathToFileURL(mount.target).href,
    name: mount.readOnly ? `${mount.target} (read-only)` : mount.target,
  }));
}
