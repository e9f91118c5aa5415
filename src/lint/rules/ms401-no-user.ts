import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS401',
  name: 'no-user',
  title: 'No user set',
  severity: 'warning',
  references: { owasp: 'Rule #2' },
  rationale: 'Without `user` the server runs as whatever the image says, which for most images is root; root in a container owns every file the container can write.',
  remediation: 'Set `user` to an unprivileged uid:gid, e.g. `user: "10001:10001"`.',
  check: (profile) =>
    profile.user === undefined ? [{ pointer: '/user', message: `no user is set: image ${profile.image} decides, and most images run as root` }] : [],
});
