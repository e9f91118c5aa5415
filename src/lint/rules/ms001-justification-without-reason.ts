import { toPointer } from '../../profile/pointer.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS001',
  name: 'justification-without-reason',
  title: 'Justification without a reason',
  severity: 'error',
  suppressible: false,
  rationale: 'A justification is a reviewed exception. Without a reason a reviewer cannot tell why the rule may be broken, so an empty one suppresses nothing and is itself an error.',
  remediation: 'Write why this profile needs the exception, e.g. `MS201: "calls api.github.com"`, or remove the entry.',
  check: (profile) =>
    Object.entries(profile.justifications)
      .filter(([, reason]) => reason.trim() === '')
      .map(([id]) => ({ pointer: toPointer(['justifications', id]), message: `justification for ${id} has an empty reason, so it suppresses nothing` })),
});
