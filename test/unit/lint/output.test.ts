/**
 * Output formats and the CLI: the JSON contract, text lines, SARIF validated against the
 * official SARIF 2.1.0 schema (vendored from @microsoft/jest-sarif, MIT), exit codes, import.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { defaultRuleContext, lintProfile, type FileReport } from '../../../src/lint/engine.js';
import { formatJson, formatText, makeChalk } from '../../../src/lint/format.js';
import { RULES } from '../../../src/lint/registry.js';
import { formatSarif } from '../../../src/lint/sarif.js';
import { loadProfile } from '../../../src/profile/load.js';
import { runMain, type MainResult } from '../helpers/main.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/lint');
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

/** The formats are tested on other rules' findings: the context says a tool lock exists, so MS801 stays out. */
const LOCKED = { ...defaultRuleContext(), hasLockFile: (): boolean => true };

function fixtureReports(): FileReport[] {
  return ['MS301', 'MS601', 'MS201'].map((id) => lintProfile(loadProfile(path.join(FIXTURES, id, 'fail.yaml')), undefined, LOCKED));
}

const cli = (args: string[], cwd = ROOT): Promise<MainResult> => runMain(args, cwd);

describe('json', () => {
  test('has exactly the contract shape', () => {
    const data = JSON.parse(formatJson(fixtureReports())) as { files: Array<{ file: string; findings: Array<Record<string, unknown>> }>; summary: Record<string, number> };
    expect(Object.keys(data)).toEqual(['files', 'summary']);
    expect(Object.keys(data.summary)).toEqual(['errors', 'warnings', 'infos', 'suppressed']);
    expect(data.summary).toEqual({ errors: 6, warnings: 1, infos: 0, suppressed: 0 });
    expect(data.files[0]?.file).toBe('test/fixtures/lint/MS301/fail.yaml');
    for (const file of data.files) {
      expect(Object.keys(file)).toEqual(['file', 'findings']);
      for (const f of file.findings) expect(Object.keys(f)).toEqual(['rule', 'severity', 'message', 'path', 'line', 'column', 'suppressed']);
    }
    expect(data.files[0]?.findings[0]).toEqual({
      rule: 'MS301',
      severity: 'error',
      message: 'mount source /var/run/docker.sock is sensitive: an engine socket: access to it is root on the host',
      path: '/filesystem/mounts/0/source',
      line: 10,
      column: 15,
      suppressed: false,
    });
  });
});

describe('text', () => {
  test('file:line:col  severity  MSxxx  message, grouped by file, with a summary', () => {
    const text = formatText(fixtureReports(), makeChalk({ isTTY: false }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('test/fixtures/lint/MS301/fail.yaml:10:15  error    MS301  mount source /var/run/docker.sock is sensitive: an engine socket: access to it is root on the host');
    expect(lines).toContain('');
    expect(lines[lines.length - 1]).toBe('✖ 7 problems (6 errors, 1 warning, 0 infos) in 3 files');
    expect(text).not.toMatch(/\u001b\[/);
  });

  test('colour only on a TTY without NO_COLOR', () => {
    expect(makeChalk({ isTTY: true }, {}).level).toBeGreaterThan(0);
    expect(makeChalk({ isTTY: true }, { NO_COLOR: '1' }).level).toBe(0);
    expect(makeChalk({ isTTY: false }, {}).level).toBe(0);
  });
});

describe('sarif', () => {
  const schema = JSON.parse(readFileSync(path.join(FIXTURES, 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  // The vendored schema is draft-04; ajv 8 reads it as draft-07 once `id` is spelled `$id`
  // (it uses no draft-04-only keywords such as boolean exclusiveMinimum).
  const { id, $schema: _draft, ...rest } = schema;
  // unicodeRegExp off: the schema's `language` pattern has a stray ']' that only non-unicode RegExps accept.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile({ ...rest, $id: id as string });

  test('validates against the SARIF 2.1.0 schema, with rules, help and locations', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-sarif-'));
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, 'version: 1\nname: t\nimage: mcp/t:1.0.0\npull: never\nnetwork: bridge\njustifications:\n  MS201: needs the network\n');
    const reports = [...fixtureReports(), lintProfile(loadProfile(file), undefined, LOCKED)];
    const log = JSON.parse(formatSarif(reports, undefined, ROOT)) as {
      version: string;
      runs: Array<{ tool: { driver: { rules: Array<Record<string, unknown>> } }; results: Array<Record<string, any>> }>;
    };
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    const run = log.runs[0]!;
    expect(run.tool.driver.rules).toHaveLength(RULES.length);
    for (const rule of run.tool.driver.rules) {
      expect(rule).toHaveProperty('helpUri');
      expect((rule.help as { text: string }).text).toContain('Remediation:');
    }
    const first = run.results[0]!;
    expect(first.ruleId).toBe('MS301');
    expect(first.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'test/fixtures/lint/MS301/fail.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 10, startColumn: 15 } });
    const suppressed = run.results.find((r) => r.ruleId === 'MS201' && r.suppressions);
    expect(suppressed?.suppressions).toEqual([{ kind: 'inSource', justification: 'needs the network' }]);
  });
});

describe('cli', () => {
  test('lint profiles/ exits 0; its only problems are the MS801 warnings of a catalog that ships no locks', async () => {
    // The postgres profile's allowlist names its database host in POSTGRES_HOST (lint reads process.env).
    const saved = process.env.POSTGRES_HOST;
    process.env.POSTGRES_HOST = 'db.example.com';
    const r = await cli(['lint', 'profiles/']).finally(() => {
      if (saved === undefined) delete process.env.POSTGRES_HOST;
      else process.env.POSTGRES_HOST = saved;
    });
    expect(r.code).toBe(0);
    const problems = r.stdout.split('\n').filter((l) => /^profiles\/\S+:\d+:\d+  (error|warning|info) /.test(l));
    expect(problems.length).toBeGreaterThan(0);
    for (const line of problems) expect(line).toMatch(/  warning  MS801  no tool lock /);
    expect(r.stdout).toMatch(/0 errors/);
  });

  test('errors exit 1; warnings fail only with --strict or over --max-warnings', async () => {
    expect((await cli(['lint', 'test/fixtures/lint/MS301/fail.yaml'])).code).toBe(1);
    expect((await cli(['lint', 'test/fixtures/lint/MS201/fail.yaml'])).code).toBe(0);
    expect((await cli(['lint', '--strict', 'test/fixtures/lint/MS201/fail.yaml'])).code).toBe(1);
    // Two warnings: MS201, and MS801 (the fixture has no tool lock next to it).
    expect((await cli(['lint', '--max-warnings', '1', 'test/fixtures/lint/MS201/fail.yaml'])).code).toBe(1);
    expect((await cli(['lint', '--max-warnings', '2', 'test/fixtures/lint/MS201/fail.yaml'])).code).toBe(0);
  });

  test('usage and unreadable input exit 2, without a stack trace', async () => {
    const missing = await cli(['lint', 'no/such/file.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    expect(missing.stderr).not.toMatch(/^\s+at /m);
    expect((await cli(['lint'])).code).toBe(2);
    expect((await cli(['lint', '--format', 'xml', 'profiles/'])).code).toBe(2);
    expect((await cli(['lint', '--max-warnings', 'many', 'profiles/'])).code).toBe(2);
    expect((await cli(['lint', '--client', 'cursor', '/no/such/mcp.json'])).code).toBe(2);
  });

  test('an invalid profile is a finding line, exit 1', async () => {
    const r = await cli(['lint', '--format', 'json', 'test/fixtures/lint/MS000/fail.yaml']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).files[0].findings[0]).toMatchObject({ rule: 'MS000', line: 4 });
  });

  test('--config changes severities', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-cfg-'));
    writeFileSync(path.join(dir, 'c.yaml'), 'lint:\n  rules:\n    MS201: error\n');
    const r = await cli(['lint', '--config', path.join(dir, 'c.yaml'), 'test/fixtures/lint/MS201/fail.yaml']);
    expect(r.code).toBe(1);
  });

  test('lint --client reads the config and points at entries and arguments', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-client-'));
    const file = path.join(dir, 'claude_desktop_config.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          mcpServers: {
            github: { command: 'docker', args: ['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', '--network=host', 'ghcr.io/github/github-mcp-server'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5' } },
            fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/home'] },
          },
        },
        null,
        2,
      ),
    );
    const r = await cli(['lint', '--client', 'claude-desktop', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout).files[0].findings as Array<{ rule: string; path: string; line: number; message: string }>;
    const byRule = (rule: string) => findings.filter((f) => f.rule === rule);
    expect(byRule('MS110')).toEqual([expect.objectContaining({ path: '/mcpServers/fs/command', message: expect.stringContaining('server "fs" runs "npx -y @modelcontextprotocol/server-filesystem"') })]);
    expect(byRule('MS601')).toEqual([expect.objectContaining({ path: '/mcpServers/github/env/GITHUB_PERSONAL_ACCESS_TOKEN', message: expect.stringContaining('GitHub token') })]);
    expect(byRule('MS202')).toEqual([expect.objectContaining({ path: '/mcpServers/github/args/5', message: 'server "github": network "host" shares the host network stack, including services listening on localhost' })]);
    const argLine = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('--network=host')) + 1;
    expect(byRule('MS202')[0]?.line).toBe(argLine);
    for (const rule of ['MS101', 'MS302', 'MS405', 'MS406', 'MS501', 'MS503', 'MS504', 'MS401']) expect(byRule(rule)).toHaveLength(1);
    expect(byRule('MS101')[0]?.path).toBe('/mcpServers/github');
  });

  test('import prints a profile that loads, and lists unmapped flags on stderr', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-import-'));
    const file = path.join(dir, 'mcp.json');
    writeFileSync(file, JSON.stringify({ mcpServers: { GitHub: { command: 'docker', args: ['run', '-i', '--rm', '-p', '8080:80', '-e', 'GITHUB_TOKEN', '--memory=1g', '-v', '/srv/code:/code:ro', 'ghcr.io/github/github-mcp-server:1.0.0', 'stdio'] } } }));
    const r = await cli(['import', file, '--server', 'GitHub']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('unmapped: args[3] -p 8080:80: --publish has no profile equivalent');
    const profile = parseYaml(r.stdout) as Record<string, unknown>;
    expect(profile).toEqual({
      version: 1,
      name: 'github',
      image: 'ghcr.io/github/github-mcp-server:1.0.0',
      command: ['stdio'],
      resources: { memory: '1g' },
      filesystem: { mounts: [{ type: 'bind', source: '/srv/code', target: '/code', readOnly: true }] },
      secrets: ['GITHUB_TOKEN'],
    });
    const out = path.join(dir, 'github.yaml');
    writeFileSync(out, r.stdout);
    // A freshly imported profile has no tool lock yet: MS801 asks for one.
    expect(lintProfile(loadProfile(out)).findings.map((f) => f.rule)).toEqual(['MS401', 'MS801', 'MS702']);
    const missing = await cli(['import', file, '--server', 'github']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('did you mean "GitHub"?');
  });
});

describe('findings caused by a base profile', () => {
  // justified.yaml extends dangerous.yaml: every finding sits on a key the base wrote.
  const child = path.join(FIXTURES, 'enforce/justified.yaml');
  const base = path.join(FIXTURES, 'enforce/dangerous.yaml');
  const reports = (): FileReport[] => [lintProfile(loadProfile(child))];

  test('text names the base file with its own line numbers', () => {
    const lines = formatText(reports(), makeChalk({ isTTY: false })).split('\n');
    expect(lines).toContain('test/fixtures/lint/enforce/dangerous.yaml:12:15  suppressed  MS102  security.privileged is true: the container gets every capability and every host device (justified: fixture: the test asserts that justified findings do not block run)');
    expect(lines.some((l) => l.startsWith('test/fixtures/lint/enforce/justified.yaml:12:'))).toBe(false);
  });

  test('json keeps the report under the child and adds the file of each finding from elsewhere', () => {
    const data = JSON.parse(formatJson(reports())) as { files: Array<{ file: string; findings: Array<Record<string, unknown>> }> };
    expect(data.files[0]?.file).toBe('test/fixtures/lint/enforce/justified.yaml');
    const privileged = data.files[0]?.findings.find((f) => f.rule === 'MS102');
    expect(privileged).toMatchObject({ file: 'test/fixtures/lint/enforce/dangerous.yaml', line: 12, column: 15 });
  });

  test('SARIF locates them in the base file', () => {
    const log = JSON.parse(formatSarif(reports(), undefined, ROOT)) as { runs: Array<{ results: Array<Record<string, any>> }> };
    const privileged = log.runs[0]!.results.find((r) => r.ruleId === 'MS102');
    expect(privileged?.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'test/fixtures/lint/enforce/dangerous.yaml', uriBaseId: '%SRCROOT%' });
    expect(path.relative(ROOT, base)).toBe('test/fixtures/lint/enforce/dangerous.yaml');
  });
});

describe('SARIF URIs', () => {
  const report = (file: string): FileReport[] => [{ file, findings: [{ rule: 'MS102', severity: 'error', message: 'm', path: '', line: 1, column: 1, suppressed: false }] }];
  const location = (file: string, cwd: string): { uri: string; uriBaseId?: string; base: string } => {
    const log = JSON.parse(formatSarif(report(file), undefined, cwd)) as { runs: Array<{ originalUriBaseIds: Record<string, { uri: string }>; results: Array<Record<string, any>> }> };
    const run = log.runs[0]!;
    return { ...run.results[0]!.locations[0].physicalLocation.artifactLocation, base: run.originalUriBaseIds['%SRCROOT%']!.uri };
  };

  test('a file outside the working directory is an absolute file:// URI without a base', () => {
    expect(location('/etc/mcp/a profile.yaml', '/home/u/repo')).toEqual({ uri: 'file:///etc/mcp/a%20profile.yaml', base: 'file:///home/u/repo/' });
    expect(location('/home/u/repo-other/x.yaml', '/home/u/repo')).toEqual({ uri: 'file:///home/u/repo-other/x.yaml', base: 'file:///home/u/repo/' });
  });

  test('cwd / : relative URIs against file:///', () => {
    expect(location('/srv/x.yaml', '/')).toEqual({ uri: 'srv/x.yaml', uriBaseId: '%SRCROOT%', base: 'file:///' });
  });

  test('inside the working directory: relative, each segment encoded', () => {
    expect(location('/home/u/repo/profiles/a#b.yaml', '/home/u/repo')).toEqual({ uri: 'profiles/a%23b.yaml', uriBaseId: '%SRCROOT%', base: 'file:///home/u/repo/' });
    expect(location('/home/u/repo/..x/y.yaml', '/home/u/repo')).toMatchObject({ uri: '..x/y.yaml', uriBaseId: '%SRCROOT%' });
  });
});
