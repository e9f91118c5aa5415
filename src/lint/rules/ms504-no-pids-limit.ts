import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS504',
  name: 'no-pids-limit',
  title: 'No pids limit',
  severity: 'warning',
  references: { cis: '5.28', owasp: 'Rule #7' },
  rationale: 'Without a pids limit a fork bomb in the server exhausts the host\'s process table.',
  remediation: 'Remove `resources.pids` (the default is 256) or set a limit of at least 128.',
  check: (profile) =>
    profile.resources.pids === -1 ? [{ pointer: '/resources/pids', message: 'resources.pids is unlimited: a fork bomb can exhaust the host process table' }] : [],
});
