import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS305',
  name: 'tmpfs-exec',
  title: 'Executable tmpfs',
  severity: 'warning',
  references: { owasp: 'Rule #8' },
  rationale: 'With a read-only root, a noexec tmpfs means the server cannot download and run a new binary. exec on a tmpfs gives that back.',
  remediation: 'Remove `exec: true` from the tmpfs, or justify why the server runs files it writes.',
  check: (profile) => {
    const findings: Finding[] = [];
    profile.filesystem.tmpfs.forEach((t, i) => {
      if (t.exec) findings.push({ pointer: `/filesystem/tmpfs/${i}/exec`, message: `tmpfs ${t.path} allows executing files written to it` });
    });
    return findings;
  },
});
