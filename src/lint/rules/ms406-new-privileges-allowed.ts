import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS406',
  name: 'new-privileges-allowed',
  title: 'no-new-privileges off',
  severity: 'error',
  references: { cis: '5.25', owasp: 'Rule #4' },
  rationale: 'Without no-new-privileges a setuid binary or file capability in the image can raise the server\'s privileges inside the container.',
  remediation: 'Remove `security.noNewPrivileges` (the default is true) or set it to true.',
  check: (profile) =>
    profile.security.noNewPrivileges
      ? []
      : [{ pointer: '/security/noNewPrivileges', message: 'security.noNewPrivileges is false: setuid binaries can raise privileges' }],
});
