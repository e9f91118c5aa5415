import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS201',
  name: 'network-enabled',
  title: 'Outbound network without an allowlist',
  severity: 'warning',
  references: { owasp: 'Rule #5' },
  rationale: 'With `bridge` a poisoned prompt can make the server send what it can read to anyone, reach services on the local network, the cloud metadata address and every service on the host. Most MCP servers that work on local data need none; those that call an API need only its host.',
  remediation: 'Remove `network` (the default is none), or list the destinations the server calls: `network: { allow: [api.github.com:443] }` (docs/egress.md). Justify `bridge` only when no list can be written.',
  check: (profile) =>
    profile.network === 'bridge'
      ? [{ pointer: '/network', message: 'network "bridge" gives the server the whole network; list what it calls with network: { allow: [host:port, ...] } instead' }]
      : [],
});
