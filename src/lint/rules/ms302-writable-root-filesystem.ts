import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS302',
  name: 'writable-root-filesystem',
  title: 'Writable root filesystem',
  severity: 'warning',
  references: { cis: '5.12', owasp: 'Rule #8' },
  rationale: 'A writable image lets a compromised server replace its own code and tools, so the change persists for the rest of the session; scratch space belongs in a size-capped tmpfs.',
  remediation: 'Remove `filesystem.readOnlyRoot` (the default is true) and add a tmpfs for any directory the server writes.',
  check: (profile) =>
    profile.filesystem.readOnlyRoot ? [] : [{ pointer: '/filesystem/readOnlyRoot', message: 'filesystem.readOnlyRoot is false: the server can modify its own image' }],
});
