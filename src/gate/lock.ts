/**
 * Tool pinning for the gate and `mcp-sandbox lock`: the drift check against a profile's lock
 * and the difference between two locks. The format lives in ./lock-format.ts, reading in
 * ./lock-read.ts; both are re-exported here so callers import one module.
 */
import type { PinningCheck, ToolDescriptor } from './ports.js';
import { toolHash, type LockedItem, type ToolLock } from './lock-format.js';

export * from './lock-format.js';
export { parseLock, readLockFor } from './lock-read.js';

export interface ItemDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

function diffItems(before: readonly LockedItem[], after: readonly LockedItem[]): ItemDiff {
  const old = new Map(before.map((i) => [i.name, i.sha256]));
  const now = new Map(after.map((i) => [i.name, i.sha256]));
  return {
    added: [...now.keys()].filter((n) => !old.has(n)),
    changed: [...now.keys()].filter((n) => old.has(n) && old.get(n) !== now.get(n)),
    removed: [...old.keys()].filter((n) => !now.has(n)),
  };
}

/** What changed between two locks, per kind. */
export function diffLocks(before: ToolLock, after: ToolLock): { tools: ItemDiff; resources: ItemDiff; prompts: ItemDiff; image: boolean } {
  return {
    tools: diffItems(before.tools, after.tools),
    resources: diffItems(before.resources, after.resources),
    prompts: diffItems(before.prompts, after.prompts),
    image: before.image.digest !== after.image.digest,
  };
}

/** The gate's drift check: tools new to the lock or whose hash changed. Without a lock nothing drifts. */
export function createPinningCheck(lock: ToolLock | undefined): PinningCheck {
  const pinned = new Map((lock?.tools ?? []).map((t) => [t.name, t.sha256]));
  return {
    drifted(tools: readonly ToolDescriptor[]): { added: string[]; changed: string[] } {
      if (!lock) return { added: [], changed: [] };
      const added: string[] = [];
      const changed: string[] = [];
      for (const tool of tools) {
        const hash = pinned.get(tool.name);
        if (hash === undefined) added.push(tool.name);
        else if (hash !== toolHash(tool)) changed.push(tool.name);
      }
      return { added, changed };
    },
  };
}
