/**
 * Rule documentation generated from the rules themselves, so docs/rules/*.md and the README
 * table cannot drift from the code (a meta-test compares; UPDATE_RULE_DOCS=1 rewrites).
 */
import { RULES } from './registry.js';
import { RULE_FAMILIES, type Rule } from './types.js';

export const TABLE_START = '<!-- rules:start -->';
export const TABLE_END = '<!-- rules:end -->';

function references(rule: Rule): string {
  const parts = [rule.references.cis ? `CIS ${rule.references.cis}` : '', rule.references.owasp ? `OWASP ${rule.references.owasp}` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : '—';
}

/** The Markdown table of every rule, as it appears between the markers. */
export function renderRuleTable(rules: readonly Rule[] = RULES, linkBase = 'docs/rules/'): string {
  const rows = rules.map((r) => `| [${r.id}](${linkBase}${r.id}.md) | ${r.title} | ${r.severity} | ${references(r)} |`);
  return ['| Rule | Title | Severity | References |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Replaces the table between the markers in a document. */
export function withRuleTable(document: string, table: string): string {
  const start = document.indexOf(TABLE_START);
  const end = document.indexOf(TABLE_END);
  if (start < 0 || end < start) return document;
  return `${document.slice(0, start + TABLE_START.length)}\n${table}\n${document.slice(end)}`;
}

/** Example inputs for a docs page (the rule's fixtures, without their expectation comments). */
export interface RuleExamples {
  fail: string;
  pass: string;
  /** yaml for profiles, jsonc for client configs. */
  language: 'yaml' | 'jsonc';
}

function exampleBlock(text: string, language: string): string[] {
  const body = text
    .split('\n')
    .filter((line) => !/^(#|\/\/) (expect:|no finding of)/.test(line))
    .join('\n')
    .trimEnd();
  return ['```' + language, body, '```'];
}

/** The docs page of one rule. */
export function renderRuleDoc(rule: Rule, examples?: RuleExamples): string {
  const family = RULE_FAMILIES[rule.id.charAt(2)] ?? 'other';
  const refs: string[] = [];
  if (rule.references.cis) refs.push(`- CIS Docker Benchmark v1.6.0: ${rule.references.cis}`);
  if (rule.references.owasp) refs.push(`- OWASP Docker Security Cheat Sheet: ${rule.references.owasp}`);
  return [
    `# ${rule.id}: ${rule.title}`,
    '',
    `- Name: \`${rule.name}\``,
    `- Family: ${family}`,
    `- Default severity: ${rule.severity}`,
    `- Suppressible with a justification: ${rule.suppressible ? 'yes' : 'no'}`,
    '',
    '## Why',
    '',
    rule.rationale,
    '',
    ...(rule.details ? [rule.details, ''] : []),
    '## Fix',
    '',
    rule.remediation,
    '',
    ...(examples
      ? ['## Examples', '', 'Reported:', '', ...exampleBlock(examples.fail, examples.language), '', 'Not reported:', '', ...exampleBlock(examples.pass, examples.language), '']
      : []),
    ...(rule.suppressible
      ? ['## Suppressing', '', 'If the profile really needs this, say why in the profile:', '', '```yaml', 'justifications:', `  ${rule.id}: "the reason a reviewer will read"`, '```', '']
      : []),
    ...(refs.length > 0 ? ['## References', '', ...refs, ''] : []),
  ].join('\n');
}
