/** The examples in docs/ci.md parse, and the commands they run work with this CLI. */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { split } from 'shlex';
import { buildProgram } from '../../../src/cli/main.js';
import { loadLintConfig } from '../../../src/lint/config.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const doc = readFileSync(path.join(ROOT, 'docs/ci.md'), 'utf8');

function example(name: string): any {
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`yaml\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!match) throw new Error(`no ${name} example in docs/ci.md`);
  return parse(match[1] as string);
}

/** Parses an `npx … mcp-sandbox lint …` line with the real commander program (no action run). */
function parsesAsLint(line: string): void {
  const words = split(line.replace(/\s*>.*$/, ''));
  const at = words.indexOf('mcp-sandbox');
  expect(at).toBeGreaterThanOrEqual(0);
  const program = buildProgram();
  const lint = program.commands.find((c) => c.name() === 'lint');
  expect(lint).toBeDefined();
  lint!.action(() => undefined);
  expect(() => program.parse(['node', ...words.slice(at)], { from: 'node' })).not.toThrow();
}

test('GitHub Actions workflow: lint to SARIF, upload with security-events, then fail', () => {
  const workflow = example('github-actions');
  expect(workflow.permissions['security-events']).toBe('write');
  const steps = workflow.jobs.lint.steps as Array<Record<string, any>>;
  const sarifStep = steps.find((s) => typeof s.run === 'string' && s.run.includes('--format sarif'));
  const upload = steps.find((s) => typeof s.uses === 'string' && s.uses.startsWith('github/codeql-action/upload-sarif@'));
  expect(sarifStep?.['continue-on-error']).toBe(true);
  expect(upload?.if).toBe('always()');
  expect(sarifStep?.run).toContain(`> ${upload?.with.sarif_file}`);
  for (const step of steps.filter((s) => typeof s.run === 'string')) parsesAsLint(step.run);
});

test('pre-commit hook entry', () => {
  const config = example('pre-commit');
  const hook = config.repos[0].hooks[0];
  expect(config.repos[0].repo).toBe('local');
  expect(hook).toMatchObject({ id: 'mcp-sandbox-lint', language: 'system' });
  expect(new RegExp(hook.files).test('profiles/github.yaml')).toBe(true);
  expect(new RegExp(hook.files).test('src/x.ts')).toBe(false);
  parsesAsLint(`${hook.entry} profiles/github.yaml`);
});

test('project config example loads', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ms-ci-')), '.mcp-sandbox.yaml');
  const match = /<!-- example: project-config -->\n```yaml\n([\s\S]*?)```/.exec(doc);
  writeFileSync(file, match?.[1] ?? '');
  const config = loadLintConfig(file);
  expect(config.severities).toEqual({ MS702: 'warning' });
  expect([...config.disabled]).toEqual(['MS109']);
});
