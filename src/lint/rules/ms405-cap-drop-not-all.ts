import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS405',
  name: 'cap-drop-not-all',
  title: 'Capabilities not all dropped',
  severity: 'warning',
  references: { cis: '5.3', owasp: 'Rule #3' },
  rationale: 'The engine default set includes CHOWN, DAC_OVERRIDE, SETUID, NET_RAW and more. Dropping ALL and adding back only what is needed is the only list that stays correct when defaults change.',
  remediation: 'Remove `security.capDrop` (the default is [ALL]) or set it to [ALL].',
  check: (profile) =>
    profile.security.capDrop.includes('ALL')
      ? []
      : [{ pointer: '/security/capDrop', message: `security.capDrop is [${profile.security.capDrop.join(', ')}], not ALL: the engine's default capabilities remain` }],
});
