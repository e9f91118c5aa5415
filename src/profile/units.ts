/**
 * Docker's size units (b, k, m, g; 1024-based, as `docker run --memory` parses them).
 * Written here rather than taken from `bytes`, which wants "mb" and would accept "512mb",
 * a spelling docker itself rejects.
 */

const MULTIPLIERS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses 512m, 1.5g, 4096 or 4096b into bytes. Undefined for anything else. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)([bkmg])?$/i.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (MULTIPLIERS[(match[2] ?? 'b').toLowerCase()] as number);
  return Math.floor(bytes);
}

/** Bytes back in the largest unit that divides them exactly: 67108864 -> 64m. */
export function formatSize(bytes: number): string {
  for (const unit of ['g', 'm', 'k'] as const) {
    const size = MULTIPLIERS[unit] as number;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
