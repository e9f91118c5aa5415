import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS113',
  name: 'container-cli-not-docker',
  title: 'Container run line for an engine other than docker',
  severity: 'warning',
  rationale: 'Lint reads `podman run` and `nerdctl run` lines with docker\'s flags and defaults. Those engines accept most of the same flags but not all defaults agree (podman runs rootless with its own user-namespace and network defaults, nerdctl uses containerd\'s runtimes and snapshotters), so the verdict is an approximation.',
  remediation: 'Review the line against the engine\'s own documentation, or run the server through a profile (`mcp-sandbox run`), whose sandbox does not depend on the CLI.',
  check: () => [],
  checkEntry: (entry) => {
    const container = entry.container;
    if (entry.remote || !container || container.runStart === undefined || container.engine === 'docker') return [];
    const index = container.binaryIndex;
    return [{ pointer: index < 0 ? '/command' : `/args/${index}`, message: `${container.engine} run is judged with docker's flags and defaults; ${container.engine}'s may differ` }];
  },
});
