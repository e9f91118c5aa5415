import { isPublicSuffix } from '../public-suffixes.js';
import { defineRule, type Finding } from '../types.js';

export const rule = defineRule({
  id: 'MS203',
  name: 'egress-broad-entry',
  title: 'Allowlist entry admits any name, a whole TLD or a public suffix',
  severity: 'warning',
  references: { owasp: 'Rule #5' },
  rationale: 'An entry `*:443`, `*.com:443` or `*.co.uk:443` (a public suffix: names under it belong to anyone who registers one) lets the server reach almost any host on the internet on that port, so a poisoned prompt can send data to a host the attacker controls. The proxy still refuses private, link-local and metadata addresses, but the allowlist no longer limits where data goes.',
  remediation: 'List the hosts the server calls (`api.example.com:443`, `"*.example.com:443"`), or justify the entry when reaching any host is the server\'s function (a fetch server).',
  check: (profile) => {
    const findings: Finding[] = [];
    for (const entry of profile.egress?.entries ?? []) {
      if (entry.kind !== 'name') continue;
      const pointer = `/network/allow/${entry.index}`;
      if (entry.wildcard === 'any') findings.push({ pointer, message: `"*:${entry.port}" admits any name on port ${entry.port}` });
      else if (entry.wildcard === 'subdomains' && isPublicSuffix(entry.name)) {
        const what = entry.name.includes('.') ? `the public suffix ${entry.name} (names under it belong to anyone who registers one)` : `the top-level domain .${entry.name}`;
        findings.push({ pointer, message: `"*.${entry.name}:${entry.port}" admits every name under ${what}` });
      }
    }
    return findings;
  },
});
