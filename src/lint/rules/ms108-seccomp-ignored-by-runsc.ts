import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS108',
  name: 'seccomp-ignored-by-runsc',
  title: 'Seccomp profile ignored under gVisor',
  severity: 'warning',
  rationale: 'gVisor applies its own seccomp filter to the sandbox and ignores the OCI seccomp profile unless runsc is registered with --oci-seccomp, so a custom profile may give a false sense of restriction.',
  remediation: 'Register runsc with `--oci-seccomp` in daemon.json and justify this rule, or drop the custom profile and rely on gVisor.',
  check: (profile) => {
    const seccomp = profile.security.seccomp;
    if (seccomp.kind !== 'file' || !profile.runtime.startsWith('runsc')) return [];
    return [{ pointer: '/security/seccomp', message: `seccomp profile ${seccomp.path} is ignored by runtime "${profile.runtime}" unless runsc runs with --oci-seccomp` }];
  },
});
