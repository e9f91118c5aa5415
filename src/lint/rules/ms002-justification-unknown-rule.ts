import { toPointer } from '../../profile/pointer.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS002',
  name: 'justification-unknown-rule',
  title: 'Justification for an unknown rule',
  severity: 'warning',
  suppressible: false,
  rationale: 'A justification naming a rule that does not exist is usually a typo, and the finding it was meant to cover is then still reported, or was renamed.',
  remediation: 'Use the id of an existing rule (see docs/rules/README.md) or remove the entry.',
  check: (profile, ctx) =>
    Object.keys(profile.justifications)
      .filter((id) => !ctx.ruleIds.has(id))
      .map((id) => ({ pointer: toPointer(['justifications', id]), message: `justification names ${id}, which is not a rule` })),
});
