import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS503',
  name: 'no-cpu-limit',
  title: 'No CPU limit',
  severity: 'warning',
  references: { cis: '5.11', owasp: 'Rule #7' },
  rationale: 'A server without a CPU quota can spin every core of the machine and starve the AI client and everything else.',
  remediation: 'Remove `resources.cpus: 0` (the default is 1) or set a quota such as `cpus: 1`.',
  check: (profile) => (profile.resources.cpus === 0 ? [{ pointer: '/resources/cpus', message: 'resources.cpus is 0: no CPU limit' }] : []),
});
