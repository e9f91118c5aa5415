import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS103',
  name: 'host-pid-namespace',
  title: 'Host PID namespace shared',
  severity: 'error',
  references: { cis: '5.15' },
  rationale: 'Sharing the host PID namespace lets the server see and signal every host process, which a private namespace prevents.',
  remediation: 'Remove `namespaces.pid` or set it to private.',
  check: (profile) =>
    profile.namespaces.pid === 'host'
      ? [{ pointer: '/namespaces/pid', message: 'namespaces.pid is "host": the server can see and signal every host process' }]
      : [],
});
