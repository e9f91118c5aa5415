import { envFindings, redact, secretKind } from '../helpers.js';
import { defineRule, type Finding } from '../types.js';

function scan(env: Record<string, string>): Finding[] {
  return envFindings(env, (name, value) => {
    const kind = secretKind(name, value);
    return kind ? `env ${name} holds a literal ${kind} (${redact(value)})` : undefined;
  });
}

export const rule = defineRule({
  id: 'MS601',
  name: 'secret-in-env',
  title: 'Literal secret in env',
  severity: 'error',
  references: { owasp: 'Rule #12' },
  rationale: 'A token written into a profile or client config is committed, copied, shown by `docker inspect` and readable by every process that reads the file. Tokens are recognised by format (GitHub, OpenAI, Anthropic, AWS, Slack, Google, Stripe, JWT, private keys) and by entropy.',
  remediation: 'Move the name to `secrets` and supply the value at run time; revoke the token if the file was ever shared.',
  check: (profile) => scan(profile.env),
  checkEntry: (entry) => scan(entry.env),
});
