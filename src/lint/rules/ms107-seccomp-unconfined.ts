import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS107',
  name: 'seccomp-unconfined',
  title: 'Seccomp unconfined',
  severity: 'error',
  references: { cis: '5.21', owasp: 'Rule #6' },
  rationale: 'Without a seccomp filter every system call reaches the kernel that serves the container, including the rarely used ones most kernel exploits need.',
  remediation: 'Remove `security.seccomp` (the default is the engine profile) or point it at a reviewed JSON profile.',
  check: (profile) =>
    profile.security.seccomp.kind === 'unconfined'
      ? [{ pointer: '/security/seccomp', message: 'security.seccomp is "unconfined": no system call is filtered' }]
      : [],
});
