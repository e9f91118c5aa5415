/**
 * Every rule against its fixtures, and the meta-tests that keep rules, files, fixtures and docs
 * in step. UPDATE_RULE_DOCS=1 rewrites docs/rules/*.md and the rule tables.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lintClientText } from '../../../src/lint/client.js';
import { renderRuleDoc, renderRuleTable, TABLE_END, TABLE_START, withRuleTable } from '../../../src/lint/docs.js';
import { defaultRuleContext, lintProfile, loadFailureReport, type FileReport } from '../../../src/lint/engine.js';
import { RULES } from '../../../src/lint/registry.js';
import { loadProfile } from '../../../src/profile/load.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint');
const RULES_DIR = path.join(ROOT, 'src/lint/rules');
const DOCS_DIR = path.join(ROOT, 'docs/rules');
const update = process.env.UPDATE_RULE_DOCS === '1';

interface Expectation {
  rule: string;
  pointer: string;
  line: number;
  message: string;
}

function expectations(text: string): Expectation[] {
  return [...text.matchAll(/^(?:#|\/\/) expect: (MS\d{3}) (\S+) (\d+) (.+)$/gm)].map((m) => ({
    rule: m[1] as string,
    pointer: m[2] === '-' ? '' : (m[2] as string),
    line: Number(m[3]),
    message: m[4] as string,
  }));
}

/** Lints a fixture the way the CLI does: profiles through the loader, .json as a client config. */
function lintFixture(file: string): FileReport {
  if (file.endsWith('.json')) return lintClientText(file, readFileSync(file, 'utf8'));
  try {
    return lintProfile(loadProfile(file), undefined, defaultRuleContext());
  } catch (error) {
    return loadFailureReport(file, error);
  }
}

function fixtureFile(id: string, kind: 'pass' | 'fail'): string {
  const yaml = path.join(FIXTURES, id, `${kind}.yaml`);
  return existsSync(yaml) ? yaml : path.join(FIXTURES, id, `${kind}.json`);
}

describe.each(RULES.map((r) => [r.id, r] as const))('%s', (id, rule) => {
  test('fail fixture reports the rule at the expected pointer, line and message', () => {
    const file = fixtureFile(id, 'fail');
    const expected = expectations(readFileSync(file, 'utf8'));
    expect(expected.length).toBeGreaterThan(0);
    const findings = lintFixture(file).findings.filter((f) => f.rule === id);
    expect(findings).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const f = findings.find((x) => x.path === e.pointer && x.message.includes(e.message)) ?? findings[i];
      expect({ rule: f?.rule, pointer: f?.path, line: f?.line }).toEqual({ rule: e.rule, pointer: e.pointer, line: e.line });
      expect(f?.message).toContain(e.message);
      expect(f?.severity).toBe(rule.severity);
      expect(f?.suppressed).toBe(false);
    });
  });

  test('pass fixture does not report the rule', () => {
    const report = lintFixture(fixtureFile(id, 'pass'));
    expect(report.findings.filter((f) => f.rule === id && !f.suppressed)).toEqual([]);
    expect(report.findings.filter((f) => f.rule === 'MS000')).toEqual([]);
  });
});

describe('rule meta', () => {
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.ts')).sort();

  test('at least 22 rules, ids unique and MS + 3 digits', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(22);
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^MS\d{3}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  test('one file per rule, named <id>-<name>.ts, each registered', () => {
    expect(files).toEqual(RULES.map((r) => `${r.id.toLowerCase()}-${r.name}.ts`).sort());
    for (const file of files) {
      const source = readFileSync(path.join(RULES_DIR, file), 'utf8');
      expect(source.match(/defineRule\(/g)).toHaveLength(1);
      expect(source).toContain(`id: '${file.slice(0, 5).toUpperCase()}'`);
    }
  });

  test.each(RULES.map((r) => [r.id, r] as const))('%s has metadata, fixtures and a docs page', (id, rule) => {
    expect(rule.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(rule.title.length).toBeGreaterThan(3);
    expect(['error', 'warning', 'info']).toContain(rule.severity);
    expect(rule.remediation).toMatch(/\.$/);
    expect(rule.rationale).toMatch(/\.$/);
    expect(rule.docs).toMatch(new RegExp(`^https://.*/docs/rules/${id}\\.md$`));
    if (rule.references.cis) expect(rule.references.cis).toMatch(/^5\.\d+(, 5\.\d+)*$/);
    if (rule.references.owasp) expect(rule.references.owasp).toMatch(/^Rule #\d+$/);
    expect(existsSync(fixtureFile(id, 'pass'))).toBe(true);
    expect(existsSync(fixtureFile(id, 'fail'))).toBe(true);
    const page = path.join(DOCS_DIR, `${id}.md`);
    const fail = fixtureFile(id, 'fail');
    const examples = { fail: readFileSync(fail, 'utf8'), pass: readFileSync(fixtureFile(id, 'pass'), 'utf8'), language: fail.endsWith('.json') ? ('jsonc' as const) : ('yaml' as const) };
    if (update) writeFileSync(page, renderRuleDoc(rule, examples));
    expect(readFileSync(page, 'utf8')).toBe(renderRuleDoc(rule, examples));
  });

  test('every rule family of the issue is covered', () => {
    for (const family of ['1', '2', '3', '4', '5', '6', '7']) expect(RULES.some((r) => r.id.charAt(2) === family)).toBe(true);
  });

  test('every document with the rule-table markers has the current table', () => {
    const candidates = [path.join(ROOT, 'README.md'), path.join(DOCS_DIR, 'README.md'), ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(ROOT, 'docs', f))];
    const withMarkers = candidates.filter((f) => existsSync(f) && readFileSync(f, 'utf8').includes(TABLE_START));
    expect(withMarkers).toContain(path.join(DOCS_DIR, 'README.md'));
    for (const file of withMarkers) {
      const relative = path.relative(path.dirname(file), DOCS_DIR);
      const table = renderRuleTable(RULES, relative === '' ? '' : `${relative.split(path.sep).join('/')}/`);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(TABLE_END);
      const wanted = withRuleTable(text, table);
      if (update && wanted !== text) writeFileSync(file, wanted);
      expect(readFileSync(file, 'utf8')).toBe(wanted);
    }
  });

  test('no stray docs pages or fixture directories', () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const page of readdirSync(DOCS_DIR).filter((f) => /^MS\d{3}\.md$/.test(f))) expect(ids).toContain(page.slice(0, 5));
    for (const dir of readdirSync(FIXTURES).filter((f) => /^MS\d{3}$/.test(f))) expect(ids).toContain(dir);
  });
});
