/**
 * `mcp-sandbox audit` and `audit verify` through the CLI (in-process), `--since` parsing and
 * `--follow`'s reader.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SandboxError } from '../../../src/errors.js';
import { openAuditLog } from '../../../src/gate/audit/log.js';
import { followAudit, parseSince, type AuditLine } from '../../../src/gate/audit/reader.js';
import { auditShowAction } from '../../../src/cli/actions/audit.js';
import { runMain } from '../helpers/main.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');

describe('--since', () => {
  test.each([
    ['90s', '2026-12-01T11:58:30.000Z'],
    ['15m', '2026-12-01T11:45:00.000Z'],
    ['1h', '2026-12-01T11:00:00.000Z'],
    ['7d', '2026-11-24T12:00:00.000Z'],
    ['2w', '2026-11-17T12:00:00.000Z'],
    ['2026-11-30', '2026-11-30T00:00:00.000Z'],
    ['2026-12-01T10:30:00Z', '2026-12-01T10:30:00.000Z'],
  ])('%s', (text, expected) => {
    expect(parseSince(text, NOW).toISOString()).toBe(expected);
  });

  test.each(['yesterday', '1y', '', '-1h', '2026-13-45'])('%j is a usage error', (text) => {
    expect(() => parseSince(text, NOW)).toThrow(SandboxError);
    expect(() => parseSince(text, NOW)).toThrow(/--since must be a duration such as 90s/);
  });
});

describe('audit command', () => {
  let dir: string;
  const saved = process.env.MCP_SANDBOX_AUDIT_DIR;

  beforeAll(async () => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'ms-audit-cli-')), 'audit');
    process.env.MCP_SANDBOX_AUDIT_DIR = dir;
    let tick = 0;
    const now = (): Date => new Date(Date.parse('2026-12-01T10:00:00.000Z') + 1000 * tick++);
    const a = openAuditLog({ profile: 'everything', env: process.env, now, session: 'aaaaaaaa1111' });
    a.record({ type: 'session-start', profile: 'everything', container: 'c0ffee0000000000beef', launcherPid: 4242, client: { name: 'claude-code', version: '2.0.1' } });
    a.record({ type: 'call', method: 'tools/call', id: 1, tool: 'echo', durationMs: 3.25, isError: false, bytesIn: 120, bytesOut: 88, decision: 'allow' });
    a.record({ type: 'call', method: 'tools/call', id: 2, tool: 'delete_file', durationMs: 0.04, isError: true, bytesIn: 99, bytesOut: 140, decision: 'deny', rule: 'tools.deny' });
    await a.close();
    const b = openAuditLog({ profile: 'memory', env: process.env, now, session: 'bbbbbbbb2222' });
    b.record({ type: 'security', event: 'secret-masked', source: 'GITHUB_TOKEN', count: 2, id: 7 });
    b.record({ type: 'session-end', exitCode: 0, reason: 'client closed stdin' });
    await b.close();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.MCP_SANDBOX_AUDIT_DIR;
    else process.env.MCP_SANDBOX_AUDIT_DIR = saved;
  });

  test('a plain aligned table when piped (no colour codes), every profile, in time order', async () => {
    const r = await runMain(['audit']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    expect(r.stdout.split('\n')).toEqual([
      'TIME                     PROFILE     SESSION   TYPE           WHAT                      DECISION         MS   DETAIL',
      '2026-12-01 10:00:00.000  everything  aaaaaaaa  session-start  client claude-code 2.0.1                        container c0ffee000000 pid 4242',
      '2026-12-01 10:00:01.000  everything  aaaaaaaa  call           tools/call echo           allow            3.3  in 120 out 88',
      '2026-12-01 10:00:02.000  everything  aaaaaaaa  call           tools/call delete_file    deny tools.deny  0.0  error in 99 out 140',
      '2026-12-01 10:00:03.000  memory      bbbbbbbb  security       secret-masked                                   source=GITHUB_TOKEN count=2 id=7',
      '2026-12-01 10:00:04.000  memory      bbbbbbbb  session-end                                                    exit 0 client closed stdin',
      '',
    ]);
  });

  test('--json prints the lines exactly as written; profile, --session and --since filter', async () => {
    const json = await runMain(['audit', 'everything', '--json']);
    expect(json.stdout).toBe(readFileSync(path.join(dir, 'everything-2026-12-01.jsonl'), 'utf8'));
    const session = await runMain(['audit', '--json', '--session', 'bbbb']);
    expect(session.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['security', 'session-end']);
    const since = await runMain(['audit', '--json', '--since', '2026-12-01T10:00:02Z']);
    expect(since.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([3, 1, 2]);
    const profileFile = path.join(path.dirname(dir), 'mem.yaml');
    writeFileSync(profileFile, 'version: 1\nname: memory\nimage: mcp/memory:1.0.0\n');
    const byFile = await runMain(['audit', '--json', profileFile]);
    expect(byFile.stdout).toBe(readFileSync(path.join(dir, 'memory-2026-12-01.jsonl'), 'utf8'));
    const none = await runMain(['audit', 'nothing']);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('no audit records for nothing');
    const bad = await runMain(['audit', '--since', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be a duration');
  });

  test('audit verify: exit 0 when intact, 5 naming file:line when a line was edited', async () => {
    const ok = await runMain(['audit', 'verify']);
    expect(ok).toMatchObject({ code: 0, stdout: 'audit chain intact: 5 lines in 2 files\n' });
    const file = path.join(dir, 'everything-2026-12-01.jsonl');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace('"tool":"echo"', '"tool":"ping"'));
      const broken = await runMain(['audit', 'verify', file]);
      expect(broken.code).toBe(5);
      expect(broken.stderr).toMatch(/everything-2026-12-01\.jsonl:2: audit chain broken: line changed after it was written/);
      expect(broken.stderr).not.toMatch(/^\s+at /m);
      expect((await runMain(['audit', 'verify', path.join(dir, 'memory-2026-12-01.jsonl')])).code).toBe(0);
      const missing = await runMain(['audit', 'verify', path.join(dir, 'memory-2026-11-30.jsonl')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/audit file .*memory-2026-11-30\.jsonl does not exist/);
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('--follow reader', () => {
  test('reports records appended after it started, including a new day file, once each', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ms-audit-follow-')), 'audit');
    const env = { MCP_SANDBOX_AUDIT_DIR: dir };
    const first = openAuditLog({ profile: 'f', env, session: 's1', now: () => new Date('2026-12-01T23:59:59.000Z') });
    first.record({ type: 'call', id: 'old' });
    await first.flush();
    const seen: AuditLine[] = [];
    const stop = new AbortController();
    const following = followAudit(dir, { profile: 'f' }, (lines) => seen.push(...lines), stop.signal, 20);
    await new Promise((r) => setTimeout(r, 60));
    first.record({ type: 'call', id: 'new1' });
    await first.close();
    const next = openAuditLog({ profile: 'f', env, session: 's2', now: () => new Date('2026-12-02T00:00:01.000Z') });
    next.record({ type: 'call', id: 'new2' });
    await next.close();
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await following;
    expect(seen.map((l) => l.record.id)).toEqual(['new1', 'new2']);
  });
});

describe('audit --follow', () => {
  test('prints the existing rows and then new ones as they are appended, until SIGINT', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ms-audit-follow-cli-')), 'audit');
    const env = { MCP_SANDBOX_AUDIT_DIR: dir };
    const log = openAuditLog({ profile: 'live', env, session: 'cccccccc3333', now: () => new Date('2026-12-01T11:00:00.000Z') });
    log.record({ type: 'call', method: 'tools/list', id: 1, durationMs: 2 });
    await log.flush();
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => ((out += String(chunk)), true)) as typeof process.stdout.write;
    try {
      const following = auditShowAction('live', { follow: true }, env);
      await new Promise((r) => setTimeout(r, 100));
      log.record({ type: 'call', method: 'tools/call', id: 2, tool: 'echo', durationMs: 12 });
      await log.close();
      const deadline = Date.now() + 5000;
      while (!out.includes('tools/call echo') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      process.emit('SIGINT');
      await following;
    } finally {
      process.stdout.write = write;
    }
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME {21}PROFILE {11}SESSION {3}TYPE {11}WHAT {26}DECISION/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(4, 6))).toEqual([
      ['tools/list', '2.0'],
      ['tools/call echo', '12'],
    ]);
  });
});
