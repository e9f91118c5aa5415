import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS102',
  name: 'privileged',
  title: 'Privileged container',
  severity: 'error',
  references: { cis: '5.4', owasp: 'Rule #3' },
  rationale: 'A privileged container gets every capability and every host device and loses most confinement. No MCP server needs it.',
  remediation: 'Remove `security.privileged` and add back only the capability the server needs, if any.',
  check: (profile) =>
    profile.security.privileged
      ? [{ pointer: '/security/privileged', message: 'security.privileged is true: the container gets every capability and every host device' }]
      : [],
});
