import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS109',
  name: 'init-disabled',
  title: 'Init process disabled',
  severity: 'warning',
  rationale: 'Without an init as PID 1, zombie children of the server are never reaped (they fill the pids limit) and SIGTERM may be ignored, so the sandbox outlives its client.',
  remediation: 'Remove `security.init` (the default is true) or set it to true.',
  check: (profile) =>
    profile.security.init ? [] : [{ pointer: '/security/init', message: 'security.init is false: zombies are not reaped and signals may not reach the server' }],
});
