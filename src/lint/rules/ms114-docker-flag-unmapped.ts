import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS114',
  name: 'docker-flag-unmapped',
  title: 'docker run flag without a profile equivalent',
  severity: 'warning',
  rationale: 'A flag of a client\'s `docker run` line that no profile field describes (`--publish`, `--env-file`, `--sysctl`, `-t`, an unknown flag, an option lint does not know) changes the container in a way the other rules did not judge, and `mcp-sandbox import` cannot carry it over.',
  remediation: 'Drop the flag, or move the server to a profile and run it with `mcp-sandbox run`; if the flag is needed, say why in a review.',
  check: () => [],
  checkEntry: (entry) => (entry.remote ? [] : (entry.unmapped ?? []).filter((u) => !u.dangerous).map((u) => ({ pointer: `/args/${u.index}`, message: `${u.arg}: ${u.reason}` }))),
});
