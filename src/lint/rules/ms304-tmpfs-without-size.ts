import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS304',
  name: 'tmpfs-without-size',
  title: 'tmpfs without a size',
  severity: 'warning',
  references: { owasp: 'Rule #7' },
  rationale: 'A tmpfs without a size may grow to half of host memory, outside the container memory limit under some engines: a cheap way to exhaust the host.',
  remediation: 'Give every tmpfs a `size`, e.g. `size: 64m`.',
  check: (profile) => {
    const findings: Finding[] = [];
    profile.filesystem.tmpfs.forEach((t, i) => {
      if (t.size === undefined || t.size === 0) findings.push({ pointer: `/filesystem/tmpfs/${i}`, message: `tmpfs ${t.path} has no size limit` });
    });
    return findings;
  },
});
