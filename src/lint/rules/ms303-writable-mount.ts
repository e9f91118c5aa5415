import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS303',
  name: 'writable-mount',
  title: 'Writable mount',
  severity: 'warning',
  references: { owasp: 'Rule #8' },
  rationale: 'A writable mount lets the server change data that outlives the container; for a bind mount that is your files, where a poisoned prompt can plant code or delete work.',
  remediation: 'Remove `readOnly: false` from the mount, or justify why the server must write there.',
  check: (profile) => {
    const findings: Finding[] = [];
    profile.filesystem.mounts.forEach((mount, i) => {
      if (!mount.readOnly) {
        const what = mount.type === 'volume' ? `volume ${mount.source}` : `host path ${mount.source}`;
        findings.push({ pointer: `/filesystem/mounts/${i}/readOnly`, message: `${what} is mounted writable at ${mount.target}` });
      }
    });
    return findings;
  },
});
