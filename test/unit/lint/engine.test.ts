import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../../../src/errors.js';
import { loadLintConfig } from '../../../src/lint/config.js';
import { defaultRuleContext, lintProfile, loadFailureReport } from '../../../src/lint/engine.js';
import { secretKind, sensitiveReason } from '../../../src/lint/helpers.js';
import { expandInputs, globToRegExp } from '../../../src/lint/inputs.js';
import { exitCodeForReports, lintPaths } from '../../../src/lint/run.js';
import { loadProfile } from '../../../src/profile/load.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const BASE = 'version: 1\nname: t\nimage: mcp/t:1.0.0@sha256:' + 'a'.repeat(64) + '\nuser: "10001:10001"\n';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'ms-lint-'));
}

/** These tests are about other rules: the context says a tool lock exists, so MS801 stays out of their findings. */
const LOCKED = { ...defaultRuleContext(), hasLockFile: (): boolean => true };

function lintText(text: string, config?: Parameters<typeof lintProfile>[1]) {
  const file = path.join(tempDir(), 'p.yaml');
  writeFileSync(file, text);
  return lintProfile(loadProfile(file), config, LOCKED);
}

describe('every shipped profile lints clean', () => {
  // The postgres profile's allowlist names its database host in POSTGRES_HOST (lint reads process.env).
  const saved = process.env.POSTGRES_HOST;
  beforeAll(() => {
    process.env.POSTGRES_HOST = 'db.example.com';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.POSTGRES_HOST;
    else process.env.POSTGRES_HOST = saved;
  });
  const files = readdirSync(path.join(ROOT, 'profiles')).filter((f) => f.endsWith('.yaml'));
  // The catalog ships no tool locks: a lock pins the digest of the image the user builds
  // (`mcp-sandbox build`), so it can only be written on the user's machine (docs/lock.md).
  // MS801 is therefore the one warning every shipped profile has, until its user runs `lock`.
  test.each(files)('profiles/%s', (file) => {
    const report = lintProfile(loadProfile(path.join(ROOT, 'profiles', file)));
    expect(report.findings.filter((f) => !f.suppressed && f.severity === 'warning' && f.rule === 'MS801')).toHaveLength(1);
    expect(report.findings.filter((f) => !f.suppressed && f.severity !== 'info' && f.rule !== 'MS801')).toEqual([]);
    for (const f of report.findings.filter((x) => x.suppressed)) expect(f.justification?.trim()).not.toBe('');
  });

  test('the whole profiles/ directory, base profiles included, exits 0', () => {
    const { reports, missing } = lintPaths([path.join(ROOT, 'profiles')]);
    expect(missing).toEqual([]);
    expect(reports.length).toBeGreaterThanOrEqual(files.length);
    expect(exitCodeForReports(reports)).toBe(0);
    const withoutLockWarnings = reports.map((r) => ({ ...r, findings: r.findings.filter((f) => f.rule !== 'MS801') }));
    expect(exitCodeForReports(withoutLockWarnings, { strict: true })).toBe(0);
  });
});

describe('suppression', () => {
  test('a justified rule is listed as suppressed with its reason and does not count', () => {
    const report = lintText(`${BASE}network: bridge\njustifications:\n  MS201: calls api.github.com\n`);
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'MS201', suppressed: true, justification: 'calls api.github.com', path: '/network', line: 5 })]);
    expect(exitCodeForReports([report], { strict: true })).toBe(0);
  });

  test('an empty reason suppresses nothing and is itself an error', () => {
    const report = lintText(`${BASE}network: bridge\njustifications:\n  MS201: "  "\n`);
    expect(report.findings.map((f) => [f.rule, f.suppressed, f.severity])).toEqual([
      ['MS201', false, 'warning'],
      ['MS001', false, 'error'],
    ]);
    expect(exitCodeForReports([report])).toBe(1);
  });

  test('positions come from the file that wrote the value (extends)', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'base.yaml'), 'version: 1\n\nnetwork: bridge\n');
    writeFileSync(path.join(dir, 'child.yaml'), `extends: base.yaml\n${BASE}`);
    const report = lintProfile(loadProfile(path.join(dir, 'child.yaml')), undefined, LOCKED);
    expect(report.findings[0]).toMatchObject({ rule: 'MS201', line: 3, file: path.join(dir, 'base.yaml') });
  });

  test('an invalid base profile is reported at its own file and position', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'base.yaml'), 'version: 1\n\nnetwork: sideways\n');
    writeFileSync(path.join(dir, 'child.yaml'), `extends: base.yaml\n${BASE}`);
    let report;
    try {
      report = lintProfile(loadProfile(path.join(dir, 'child.yaml')));
    } catch (error) {
      report = loadFailureReport(path.join(dir, 'child.yaml'), error);
    }
    expect(report.file).toBe(path.join(dir, 'child.yaml'));
    expect(report.findings[0]).toMatchObject({ rule: 'MS000', line: 3, column: 10, file: path.join(dir, 'base.yaml') });
  });
});

describe('project config', () => {
  test('severity overrides and disabled rules', () => {
    const dir = tempDir();
    const file = path.join(dir, '.mcp-sandbox.yaml');
    writeFileSync(file, 'lint:\n  rules:\n    MS201: error\n    MS401: off\n');
    const config = loadLintConfig(file);
    const report = lintText('version: 1\nname: t\nimage: mcp/t:1.0.0\npull: never\nnetwork: bridge\n', config);
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([['MS201', 'error']]);
  });

  test.each([
    ['lint:\n  rules:\n    MS999: off\n', 'unknown rule MS999'],
    ['lint:\n  rules:\n    MS201: loud\n', 'must be off, error, warning or info'],
    ['lint:\n  rules:\n    MS001: off\n', 'MS001 cannot be disabled'],
  ])('mistakes are usage errors with a position: %j', (text, message) => {
    const file = path.join(tempDir(), '.mcp-sandbox.yaml');
    writeFileSync(file, text);
    expect(() => loadLintConfig(file)).toThrow(message);
    try {
      loadLintConfig(file);
    } catch (error) {
      expect((error as SandboxError).code).toBe('USAGE');
      expect((error as SandboxError).location?.line).toBe(3);
    }
  });
});

describe('exit codes and load failures', () => {
  test('warnings pass unless --max-warnings or --strict', () => {
    const report = lintText(`${BASE}network: bridge\n`);
    expect(exitCodeForReports([report])).toBe(0);
    expect(exitCodeForReports([report], { maxWarnings: 1 })).toBe(0);
    expect(exitCodeForReports([report], { maxWarnings: 0 })).toBe(1);
    expect(exitCodeForReports([report], { strict: true })).toBe(1);
  });

  test('an invalid profile is an MS000 finding at its position; an unreadable one exits 2', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'bad.yaml'), 'version: 1\nname: t\nimage: x\nnetwork: wifi\n');
    const { reports } = lintPaths([path.join(dir, 'bad.yaml')]);
    expect(reports[0]?.findings).toEqual([expect.objectContaining({ rule: 'MS000', severity: 'error', line: 4 })]);
    expect(exitCodeForReports(reports)).toBe(1);
    mkdirSync(path.join(dir, 'sub.yaml'));
    const unreadable = lintPaths([path.join(dir, 'sub.yaml', '..', 'nope.yaml')]);
    expect(unreadable.missing).toHaveLength(1);
  });
});

describe('inputs', () => {
  test('directories recurse, globs match, missing inputs are reported', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    for (const f of ['x.yaml', 'a/y.yml', 'a/b/z.yaml', 'a/b/notes.txt']) writeFileSync(path.join(dir, f), BASE);
    expect(expandInputs([dir]).files.map((f) => path.relative(dir, f))).toEqual(['a/b/z.yaml', 'a/y.yml', 'x.yaml']);
    expect(expandInputs(['**/*.yaml'], dir).files.map((f) => path.relative(dir, f))).toEqual(['a/b/z.yaml', 'x.yaml']);
    expect(expandInputs(['a/*.{yml,yaml}'], dir).files.map((f) => path.relative(dir, f))).toEqual(['a/y.yml']);
    expect(expandInputs(['nope/*.yaml', 'missing.yaml'], dir).missing).toEqual(['nope/*.yaml', 'missing.yaml']);
  });

  test('glob matcher', () => {
    expect(globToRegExp('profiles/**/*.yaml').test('profiles/x.yaml')).toBe(true);
    expect(globToRegExp('profiles/**/*.yaml').test('profiles/a/b/x.yaml')).toBe(true);
    expect(globToRegExp('profiles/*.yaml').test('profiles/a/x.yaml')).toBe(false);
    expect(globToRegExp('p?.[ab].yaml').test('p1.a.yaml')).toBe(true);
  });
});

describe('helpers', () => {
  const ctx = { ...defaultRuleContext('/home/alice') };
  test.each([
    ['/', 'the host root filesystem'],
    ['/home/alice', 'the home directory'],
    ['/home', 'contains the home directory'],
    ['/home/alice/.aws/credentials', 'inside ~/.aws'],
    ['/home/alice/.config/gh', 'inside ~/.config'],
    ['/home/alice/.cache/mcp-sandbox', 'inside ~/.cache'],
    ['/home/alice/.cursor', "an AI client's own config"],
    ['/home/alice/.claude.json', "an AI client's own config"],
    ['/home/alice/Library/Application Support/Claude', "an AI client's own config"],
    ['/run/user/1000/docker.sock', 'engine socket'],
    ['/var', 'contains host system directory /var/run'],
    ['/proc/1', 'inside host system directory /proc'],
  ])('sensitive: %s', (source, reason) => {
    expect(sensitiveReason(source, ctx)).toContain(reason);
  });

  test.each(['/home/alice/code/project', '/srv/data', '/tmp/x', '/home/bob/work'])('not sensitive: %s', (source) => {
    expect(sensitiveReason(source, ctx)).toBeUndefined();
  });

  test.each([
    ['T', 'xoxb-123456789012-abcdefghijkl', 'Slack token'],
    ['K', '-----BEGIN OPENSSH PRIVATE KEY-----\nabc', 'private key block'],
    ['K', 'sk-ant-api03-abcdefghijklmnopqrstuvwx', 'Anthropic API key'],
    ['AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS secret access key'],
    ['X', 'Zq8vN2kLp4Rt7Wy1Bc5Hd9Jf3Mg6Ts0Q', 'high-entropy string'],
    ['DB', 'postgres://app:s3cret@db.internal/app', 'URL with an embedded password'],
  ])('secret: %s', (name, value, kind) => {
    expect(secretKind(name, value)).toBe(kind);
  });

  test.each(['/data/memory.jsonl', 'https://api.github.com', 'debug', 'true', '${input:token}', 'node_modules/.bin/some-long-tool-name', '1.2.3'])('not a secret: %s', (value) => {
    expect(secretKind('X', value)).toBeUndefined();
  });
});
