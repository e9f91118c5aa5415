import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS105',
  name: 'host-uts-namespace',
  title: 'Host UTS namespace shared',
  severity: 'warning',
  references: { cis: '5.20' },
  rationale: 'Sharing the host UTS namespace lets the server change the host hostname, which a private namespace prevents.',
  remediation: 'Remove `namespaces.uts` or set it to private.',
  check: (profile) =>
    profile.namespaces.uts === 'host'
      ? [{ pointer: '/namespaces/uts', message: 'namespaces.uts is "host": the server can change the host hostname' }]
      : [],
});
