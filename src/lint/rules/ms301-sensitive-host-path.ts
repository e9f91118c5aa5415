import { sensitiveMatch } from '../helpers.js';
import { renderSensitivePathTable } from '../sensitive-paths.js';
import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS301',
  name: 'sensitive-host-path',
  title: 'Sensitive host path mounted',
  severity: 'error',
  references: { cis: '5.5, 5.31', owasp: 'Rule #1' },
  rationale: 'System directories, the engine socket, the home directory, credential directories (~/.ssh, ~/.aws, ~/.gnupg, ~/.kube, ~/.docker, ~/.config), shell start-up and history files, caches (~/.cache, which holds mcp-sandbox\'s own profile cache) and the AI client\'s own config let a server read secrets, change its own sandbox or take over the host, even read-only. The source counts as written and as its symlinks resolve, a parent of a listed path counts as the path, and on macOS and Windows case is ignored. `run` refuses such a profile unless the finding is justified.',
  details: `## Sensitive paths\n\n\`~\` is the real home directory; AI client config directories (Claude, Cursor, VS Code) are listed as well, and any \`*.sock\` of docker, containerd, podman, cri-o or buildkitd.\n\n${renderSensitivePathTable()}`,
  remediation: 'Mount only the project directory the server works on, e.g. `~/code/project`, read-only.',
  check: (profile, ctx) => {
    const findings: Finding[] = [];
    profile.filesystem.mounts.forEach((mount, i) => {
      if (mount.type !== 'bind') return;
      const match = sensitiveMatch(mount.source, ctx);
      if (match) findings.push({ pointer: `/filesystem/mounts/${i}/source`, message: `mount source ${mount.source} is sensitive: ${match.reason}`, severity: match.severity });
    });
    return findings;
  },
});
