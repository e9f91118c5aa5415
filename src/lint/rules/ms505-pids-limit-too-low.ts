import { defineRule } from '../types.js';

/** gVisor's sentry and gofer threads count against the cgroup: about 45 for one idle node server. */
const RUNSC_MINIMUM_PIDS = 128;

export const rule = defineRule({
  id: 'MS505',
  name: 'pids-limit-too-low',
  title: 'pids limit too low for gVisor',
  severity: 'warning',
  rationale: 'Under runsc the pids cgroup also counts gVisor\'s own threads (about 45 for one idle node server); reaching the limit kills the whole sandbox, not one fork.',
  remediation: `Raise \`resources.pids\` to at least ${RUNSC_MINIMUM_PIDS} (the default is 256).`,
  check: (profile) => {
    const pids = profile.resources.pids;
    if (!profile.runtime.startsWith('runsc') || pids === -1 || pids >= RUNSC_MINIMUM_PIDS) return [];
    return [{ pointer: '/resources/pids', message: `resources.pids is ${pids}, below ${RUNSC_MINIMUM_PIDS}: gVisor's own threads count against it and the sandbox dies at the limit` }];
  },
});
