import { toPointer } from '../../profile/pointer.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS602',
  name: 'env-and-secret',
  title: 'Name in both env and secrets',
  severity: 'error',
  rationale: 'A name listed in `secrets` and given a literal in `env` means the secret value sits in the file after all, or that one silently overrides the other.',
  remediation: 'Keep the name in `secrets` only and delete it from `env`.',
  check: (profile) =>
    profile.secrets
      .filter((name) => Object.hasOwn(profile.env, name))
      .map((name) => ({ pointer: toPointer(['env', name]), message: `${name} is in both env and secrets: its literal value would shadow the secret` })),
});
