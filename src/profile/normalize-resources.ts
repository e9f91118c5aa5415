/**
 * The units stage of normalize: sizes to bytes, memory and swap checked against each other,
 * cpus and pids with their "no limit" spellings, tmpfs sizes.
 */
import { PROFILE_DEFAULTS } from './defaults.js';
import type { Fail } from './normalize.js';
import type { NormalizedProfile, NormalizedTmpfs, Profile } from './types.js';
import { formatSize, parseSize } from './units.js';
import { fieldName } from './validate.js';

/** A size in bytes; 0 (no limit) only when written as a literal zero. */
export function sizeAt(pointer: string, value: string | number, fail: Fail): number {
  const bytes = parseSize(value);
  if (bytes === undefined) return fail(pointer, `${JSON.stringify(value)} is not a size`, 'expected e.g. 512m');
  // 0 means "no limit": only a literal zero may say so, not a fraction of a byte.
  if (bytes === 0 && !/^0+(\.0+)?[bkmg]?$/i.test(String(value).trim())) {
    return fail(pointer, `${fieldName(pointer)} ${JSON.stringify(value)} is less than one byte, which would mean no limit`, 'write 0 for no limit, or a size such as 512m');
  }
  return bytes;
}

/** `resources`, with defaults, in bytes, nano-CPU-safe. */
export function normalizeResources(resources: NonNullable<Profile['resources']>, fail: Fail): NormalizedProfile['resources'] {
  const defaults = PROFILE_DEFAULTS.resources;
  const memory = sizeAt('/resources/memory', resources.memory ?? defaults.memory, fail);
  const memorySwap = swapLimit(resources.memorySwap, memory, fail);
  const pids = resources.pids ?? defaults.pids;
  const cpus = resources.cpus ?? defaults.cpus;
  // The engine counts nano-CPUs; a quota that rounds to 0 would silently mean "no limit".
  if (cpus > 0 && Math.round(cpus * 1e9) === 0) fail('/resources/cpus', `resources.cpus ${cpus} is below one nano-CPU and would mean no limit`, 'use 0 for no limit, or e.g. 0.5');
  return { memory, memorySwap, cpus, pids: pids === 0 ? -1 : pids };
}

function swapLimit(written: string | number | undefined, memory: number, fail: Fail): number {
  if (written === -1) return -1;
  if (written === undefined) return memory === 0 ? 0 : memory;
  if (memory === 0) {
    // The engine refuses a swap limit without a memory limit; say so here, at the line.
    return fail('/resources/memorySwap', 'resources.memorySwap needs a memory limit, but resources.memory is 0 (no limit)', 'set resources.memory, or remove memorySwap');
  }
  const memorySwap = sizeAt('/resources/memorySwap', written, fail);
  if (memorySwap < memory) {
    fail(
      '/resources/memorySwap',
      `resources.memorySwap (${formatSize(memorySwap)}) is smaller than resources.memory (${formatSize(memory)})`,
      'memorySwap counts memory plus swap: set it equal to memory for no swap',
    );
  }
  return memorySwap;
}

/** `filesystem.tmpfs` with defaults; size 0 is refused (for tmpfs it removes the cap entirely). */
export function normalizeTmpfs(entries: NonNullable<NonNullable<Profile['filesystem']>['tmpfs']> | undefined, fail: Fail): NormalizedTmpfs[] {
  return (entries ?? PROFILE_DEFAULTS.filesystem.tmpfs).map((entry, i) => {
    const pointer = `/filesystem/tmpfs/${i}/size`;
    const size = entry.size === undefined ? undefined : sizeAt(pointer, entry.size, fail);
    if (size === 0) fail(pointer, `${fieldName(pointer)} 0 would remove the size cap entirely`, 'set a size such as 64m');
    return {
      path: entry.path,
      ...(size === undefined ? {} : { size }),
      exec: entry.exec ?? false,
      ...('mode' in entry && entry.mode !== undefined ? { mode: entry.mode } : {}),
    };
  });
}
