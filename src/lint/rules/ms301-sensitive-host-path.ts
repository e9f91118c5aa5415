import { sensitiveReason } from '../helpers.js';
import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS301',
  name: 'sensitive-host-path',
  title: 'Sensitive host path mounted',
  severity: 'error',
  references: { cis: '5.5, 5.31', owasp: 'Rule #1' },
  rationale: 'System directories, the engine socket, the home directory, credential directories (~/.ssh, ~/.aws, ~/.gnupg, ~/.kube, ~/.docker, ~/.config) and caches (~/.cache, which holds mcp-sandbox\'s own profile cache) and the AI client\'s own config let a server read secrets, change its own sandbox or take over the host, even read-only.',
  remediation: 'Mount only the project directory the server works on, e.g. `~/code/project`, read-only.',
  check: (profile, ctx) => {
    const findings: Finding[] = [];
    profile.filesystem.mounts.forEach((mount, i) => {
      if (mount.type !== 'bind') return;
      const reason = sensitiveReason(mount.source, ctx);
      if (reason) findings.push({ pointer: `/filesystem/mounts/${i}/source`, message: `mount source ${mount.source} is sensitive: ${reason}` });
    });
    return findings;
  },
});
