import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS201',
  name: 'network-enabled',
  title: 'Network is not none',
  severity: 'warning',
  references: { owasp: 'Rule #5' },
  rationale: 'With a network a poisoned prompt can make the server send what it can read to anyone, or reach services on the local network. Most MCP servers that work on local data need none.',
  remediation: 'Remove `network` (the default is none), or justify it with the hosts the server calls, e.g. `MS201: "calls api.github.com"`.',
  check: (profile) =>
    profile.network === 'none' || profile.network === 'host'
      ? []
      : [{ pointer: '/network', message: `network "${profile.network}" gives the server outbound network access` }],
});
