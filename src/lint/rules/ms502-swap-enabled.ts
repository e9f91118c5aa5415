import { formatSize } from '../../profile/units.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS502',
  name: 'swap-enabled',
  title: 'Swap enabled',
  severity: 'warning',
  references: { owasp: 'Rule #7' },
  rationale: 'Swap lets a server exceed its memory limit by thrashing the host disk, and may write its secrets to disk.',
  remediation: 'Remove `resources.memorySwap` (the default equals memory: no swap).',
  check: (profile) => {
    const { memory, memorySwap } = profile.resources;
    if (memory === 0) return [];
    if (memorySwap === -1) return [{ pointer: '/resources/memorySwap', message: 'resources.memorySwap is -1: unlimited swap' }];
    if (memorySwap > memory) {
      return [{ pointer: '/resources/memorySwap', message: `resources.memorySwap ${formatSize(memorySwap)} exceeds memory ${formatSize(memory)}: ${formatSize(memorySwap - memory)} of swap` }];
    }
    return [];
  },
});
