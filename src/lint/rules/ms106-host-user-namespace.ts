import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS106',
  name: 'host-user-namespace',
  title: 'Host user namespace shared',
  severity: 'warning',
  references: { cis: '5.30' },
  rationale: 'Sharing the host user namespace lets the server run without user-namespace remapping, which a private namespace prevents.',
  remediation: 'Remove `namespaces.userns` or set it to private.',
  check: (profile) =>
    profile.namespaces.userns === 'host'
      ? [{ pointer: '/namespaces/userns', message: 'namespaces.userns is "host": the server can run without user-namespace remapping' }]
      : [],
});
