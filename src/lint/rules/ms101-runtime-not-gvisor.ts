import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS101',
  name: 'runtime-not-gvisor',
  title: 'Runtime is not gVisor',
  severity: 'error',
  rationale: 'With runc the server makes system calls straight into the host kernel, so one kernel bug is a container escape. gVisor (runsc) answers them from its own user-space kernel.',
  remediation: 'Remove `runtime` (the default is runsc) or set `runtime: runsc`.',
  check: (profile) =>
    /^(runsc([-_.][A-Za-z0-9_.-]*)?|gvisor)$/.test(profile.runtime)
      ? []
      : [{ pointer: '/runtime', message: `runtime "${profile.runtime}" is not gVisor (runsc): the server shares the host kernel` }],
});
