import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS202',
  name: 'host-network',
  title: 'Host network namespace shared',
  severity: 'error',
  references: { cis: '5.9', owasp: 'Rule #5' },
  rationale: 'The host network stack gives the server every host interface, services listening on localhost (databases, debuggers, the engine API on TCP) and the ability to bind host ports.',
  remediation: 'List the destinations the server calls with `network: { allow: [host:port, ...] }` (docs/egress.md), or remove `network` for none.',
  check: (profile) =>
    profile.network === 'host'
      ? [{ pointer: '/network', message: 'network "host" shares the host network stack, including services listening on localhost' }]
      : [],
});
