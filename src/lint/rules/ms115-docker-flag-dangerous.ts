import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS115',
  name: 'docker-flag-dangerous',
  title: 'docker run flag that opens the sandbox',
  severity: 'error',
  references: { cis: '5.17, 5.21, 5.25', owasp: 'Rule #4' },
  rationale: 'Some `docker run` flags have no profile equivalent because a sandbox must never have them: host devices (`--device`, `--gpus`, `--device-cgroup-rule`), another container\'s mounts or namespaces (`--volumes-from`, `--pid=container:…`, `--network=container:…`), the host\'s cgroup tree or another cgroup (`--cgroupns=host`, `--cgroup-parent`), extra groups (`--group-add`), the engine API (`--use-api-socket`), disabled protections (`--security-opt apparmor=unconfined`, `systempaths=unconfined`, `label=disable`) and mount propagation to the host (`shared`, `rshared`).',
  remediation: 'Remove the flag; a server that needs it cannot be sandboxed, so do not give it to an AI client.',
  check: () => [],
  checkEntry: (entry) => (entry.remote ? [] : (entry.unmapped ?? []).filter((u) => u.dangerous).map((u) => ({ pointer: `/args/${u.index}`, message: `${u.arg}: ${u.reason}` }))),
});
