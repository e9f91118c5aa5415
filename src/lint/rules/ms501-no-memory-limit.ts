import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS501',
  name: 'no-memory-limit',
  title: 'No memory limit',
  severity: 'warning',
  references: { cis: '5.10', owasp: 'Rule #7' },
  rationale: 'A server without a memory limit can take all host memory, by a bug or on purpose, and the kernel then kills whatever it picks, not necessarily the server.',
  remediation: 'Remove `resources.memory: 0` (the default is 512m) or set a limit such as `memory: 512m`.',
  check: (profile) =>
    profile.resources.memory === 0 ? [{ pointer: '/resources/memory', message: 'resources.memory is 0: no memory limit' }] : [],
});
