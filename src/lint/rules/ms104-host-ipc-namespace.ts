import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS104',
  name: 'host-ipc-namespace',
  title: 'Host IPC namespace shared',
  severity: 'error',
  references: { cis: '5.16' },
  rationale: 'Sharing the host IPC namespace lets the server share host shared memory and IPC objects, which a private namespace prevents.',
  remediation: 'Remove `namespaces.ipc` or set it to private.',
  check: (profile) =>
    profile.namespaces.ipc === 'host'
      ? [{ pointer: '/namespaces/ipc', message: 'namespaces.ipc is "host": the server can share host shared memory and IPC objects' }]
      : [],
});
