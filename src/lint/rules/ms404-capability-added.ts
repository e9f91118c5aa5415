import { defineRule, type Finding } from '../types.js';
import { DANGEROUS_CAPABILITIES } from './ms403-dangerous-capability.js';

export const rule = defineRule({
  id: 'MS404',
  name: 'capability-added',
  title: 'Capability added',
  severity: 'warning',
  references: { cis: '5.3', owasp: 'Rule #3' },
  rationale: 'Every added capability is kernel attack surface the server did not have; even mild ones (CHOWN, SETUID) help a compromised server escalate inside the container.',
  remediation: 'Remove the capability from `security.capAdd`, or justify the one the server needs.',
  check: (profile) => {
    const findings: Finding[] = [];
    profile.security.capAdd.forEach((cap, i) => {
      if (!DANGEROUS_CAPABILITIES.has(cap)) findings.push({ pointer: `/security/capAdd/${i}`, message: `capability ${cap} is added back` });
    });
    return findings;
  },
});
