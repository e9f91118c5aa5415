import { envFindings, isReference, isSecretName, secretKind } from '../helpers.js';
import { defineRule, type Finding } from '../types.js';

function scan(env: Record<string, string>): Finding[] {
  return envFindings(env, (name, value) => {
    // MS601 already reports values that look like secrets; this catches the rest by name.
    if (value === '' || isReference(value) || !isSecretName(name) || secretKind(name, value)) return undefined;
    return `env ${name} has a credential-like name and a literal value`;
  });
}

export const rule = defineRule({
  id: 'MS603',
  name: 'secret-name-in-env',
  title: 'Credential-named variable with a literal value',
  severity: 'warning',
  references: { owasp: 'Rule #12' },
  rationale: 'A variable named like a credential (TOKEN, SECRET, PASSWORD, API_KEY) with a literal value is usually a secret whose format the linter does not know.',
  remediation: 'Move the name to `secrets` and supply the value at run time, or justify why the value is not secret.',
  check: (profile) => scan(profile.env),
  checkEntry: (entry) => scan(entry.env),
});
