import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS402',
  name: 'root-user',
  title: 'Runs as root',
  severity: 'error',
  references: { owasp: 'Rule #2' },
  rationale: 'Root inside the container can change any file the container can write, load what capabilities allow and is one kernel bug away from root on the host when the runtime is not gVisor.',
  remediation: 'Set `user` to an unprivileged uid:gid, e.g. `user: "10001:10001"`.',
  check: (profile) => {
    const user = profile.user;
    if (user === undefined) return [];
    const name = user.split(':')[0];
    return name === '0' || name === 'root' ? [{ pointer: '/user', message: `user "${user}" is root` }] : [];
  },
});
