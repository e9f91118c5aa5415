import { defineRule, type Finding } from '../types.js';

/** Capabilities that break confinement or reach the host kernel's most exposed paths. */
export const DANGEROUS_CAPABILITIES = new Set([
  'ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'DAC_OVERRIDE', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_BOOT',
  'SYS_TIME', 'MAC_ADMIN', 'MAC_OVERRIDE', 'BPF', 'PERFMON', 'SYSLOG', 'NET_RAW', 'MKNOD', 'LINUX_IMMUTABLE', 'SETFCAP', 'CHECKPOINT_RESTORE',
]);

export const rule = defineRule({
  id: 'MS403',
  name: 'dangerous-capability',
  title: 'Dangerous capability added',
  severity: 'error',
  references: { cis: '5.3', owasp: 'Rule #3' },
  rationale: 'SYS_ADMIN, NET_ADMIN, SYS_PTRACE, DAC_READ_SEARCH, SYS_MODULE and similar capabilities are the usual ingredients of container escapes and of spying on other processes.',
  remediation: 'Remove the capability from `security.capAdd`; no MCP server needs it.',
  check: (profile) => {
    const findings: Finding[] = [];
    profile.security.capAdd.forEach((cap, i) => {
      if (DANGEROUS_CAPABILITIES.has(cap)) findings.push({ pointer: `/security/capAdd/${i}`, message: `capability ${cap} is added: it allows escaping or weakening the sandbox` });
    });
    return findings;
  },
});
