/**
 * The audit log writer and `audit verify`: chain written and intact, every kind of tampering
 * found at the right line, rotation continuing the chain, modes, refused symlinks and foreign
 * paths, lazy opening, the webhook against a local server.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { genesisHash, lineHead, sha256Hex } from '../../../src/gate/audit/chain.js';
import { openAuditLog, type AuditLogOptions } from '../../../src/gate/audit/log.js';
import { auditDir, dayStem, parseSegmentName } from '../../../src/gate/audit/paths.js';
import { verifyAuditFiles } from '../../../src/gate/audit/verify.js';

const DAY = new Date('2026-12-01T10:00:00.000Z');

function setup(extra: Partial<AuditLogOptions> = {}): { dir: string; options: AuditLogOptions; file: string } {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ms-audit-')), 'audit');
  let tick = 0;
  const options: AuditLogOptions = {
    profile: 'demo',
    env: { MCP_SANDBOX_AUDIT_DIR: dir },
    now: () => new Date(DAY.getTime() + tick++),
    onProblem: (m) => {
      throw new Error(`unexpected audit problem: ${m}`);
    },
    ...extra,
  };
  return { dir, options, file: path.join(dir, 'demo-2026-12-01.jsonl') };
}

async function writeRecords(options: AuditLogOptions, n: number, session?: string): Promise<void> {
  const log = openAuditLog({ ...options, ...(session ? { session } : {}) });
  for (let i = 0; i < n; i += 1) log.record({ type: 'call', method: 'tools/call', id: i, tool: 'echo', durationMs: 1.5 });
  await log.close();
}

const linesOf = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const writeLines = (file: string, lines: string[]): void => writeFileSync(file, `${lines.join('\n')}\n`);

describe('paths', () => {
  test('MCP_SANDBOX_AUDIT_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(auditDir({ MCP_SANDBOX_AUDIT_DIR: '/x/a' }, '/home/u')).toBe('/x/a');
    expect(auditDir({ XDG_STATE_HOME: '/s' }, '/home/u')).toBe('/s/mcp-sandbox/audit');
    expect(auditDir({ XDG_STATE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.local/state/mcp-sandbox/audit');
    expect(auditDir({}, '/home/u')).toBe('/home/u/.local/state/mcp-sandbox/audit');
  });

  test('day stems and segment names', () => {
    expect(dayStem('everything', DAY)).toBe('everything-2026-12-01');
    expect(dayStem('../x', DAY)).toBe('__x-2026-12-01');
    expect(parseSegmentName('a-b-2026-12-01.jsonl')).toEqual({ stem: 'a-b-2026-12-01', profile: 'a-b', day: '2026-12-01', index: 0 });
    expect(parseSegmentName('a-2026-12-01.3.jsonl')).toMatchObject({ index: 3 });
    expect(parseSegmentName('a-2026-12-01.0.jsonl')).toBeUndefined();
    expect(parseSegmentName('a-2026-12-01.lock')).toBeUndefined();
  });
});

describe('writer', () => {
  test('nothing touches the disk before the first record', async () => {
    const { dir, options } = setup();
    const log = openAuditLog(options);
    await log.close();
    expect(existsSync(dir)).toBe(false);
  });

  test('lines carry seq, prev (genesis first), ts and session; the chain verifies', async () => {
    const { dir, options, file } = setup();
    await writeRecords(options, 3, 'sess01');
    const lines = linesOf(file);
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first).slice(0, 4)).toEqual(['seq', 'prev', 'ts', 'session']);
    expect(first).toMatchObject({ seq: 1, prev: genesisHash('demo-2026-12-01'), ts: '2026-12-01T10:00:00.000Z', session: 'sess01', type: 'call', tool: 'echo', id: 0 });
    expect(lineHead(lines[1]!)).toEqual({ seq: 2, prev: sha256Hex(lines[0]!) });
    expect(lineHead(lines[2]!)).toEqual({ seq: 3, prev: sha256Hex(lines[1]!) });
    expect(verifyAuditFiles([], dir)).toEqual({ files: [file], lines: 3 });
  });

  test('a caller cannot forge the chain fields', async () => {
    const { options, file } = setup();
    const log = openAuditLog({ ...options, session: 's' });
    log.record({ type: 'event', seq: 99, prev: 'x', ts: 'then', session: 'other' });
    await log.close();
    expect(JSON.parse(linesOf(file)[0]!)).toMatchObject({ seq: 1, session: 's', ts: '2026-12-01T10:00:00.000Z' });
  });

  test('a second session appends to the same day file and continues the chain', async () => {
    const { dir, options, file } = setup();
    await writeRecords(options, 2, 'a');
    await writeRecords(options, 2, 'b');
    expect(linesOf(file).map((l) => [lineHead(l)?.seq, (JSON.parse(l) as { session: string }).session])).toEqual([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b']]);
    expect(verifyAuditFiles([file]).broken).toBeUndefined();
    expect(verifyAuditFiles([], dir).lines).toBe(4);
  });

  test('directory 0700, files 0600, looser modes tightened', async () => {
    const { dir, options, file } = setup();
    await writeRecords(options, 1);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o644);
    chmodSync(dir, 0o755);
    await writeRecords(options, 1);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
  });

  test('a symlinked audit file or directory is refused, reported once, and nothing written through it', async () => {
    const { dir, options, file } = setup();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = path.join(path.dirname(dir), 'elsewhere.jsonl');
    writeFileSync(target, '');
    symlinkSync(target, file);
    const problems: string[] = [];
    const log = openAuditLog({ ...options, onProblem: (m) => problems.push(m) });
    log.record({ type: 'call' });
    log.record({ type: 'call' });
    await log.flush();
    log.record({ type: 'call' });
    await log.close();
    expect(readFileSync(target, 'utf8')).toBe('');
    expect(problems).toEqual([expect.stringContaining('is a symlink')]);
    expect(log.stats()).toMatchObject({ written: 0, dropped: 3 });

    const linked = setup();
    mkdirSync(path.dirname(linked.dir), { recursive: true });
    symlinkSync(path.dirname(target), linked.dir);
    const dirProblems: string[] = [];
    const log2 = openAuditLog({ ...linked.options, onProblem: (m) => dirProblems.push(m) });
    log2.record({ type: 'call' });
    await log2.close();
    expect(dirProblems).toEqual([expect.stringMatching(/audit directory .* is a symlink/)]);
  });

  test('a record that cannot be serialised is dropped and counted; the others are written', async () => {
    const { options, file } = setup();
    const problems: string[] = [];
    const log = openAuditLog({ ...options, onProblem: (m) => problems.push(m) });
    log.record({ type: 'call', big: BigInt(1) });
    log.record({ type: 'call', ok: true });
    await log.close();
    expect(linesOf(file)).toHaveLength(1);
    expect(log.stats()).toMatchObject({ written: 1, dropped: 1 });
    expect(problems).toHaveLength(1);
  });

  test('a lock left by a dead launcher is taken over; a live one is waited for', async () => {
    const { dir, options, file } = setup();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = path.join(dir, 'demo-2026-12-01.lock');
    writeFileSync(lock, `2147483646\n${hostname()}\n`);
    await writeRecords(options, 1);
    expect(linesOf(file)).toHaveLength(1);
    writeFileSync(lock, `${process.pid}\n${hostname()}\n`);
    const log = openAuditLog(options);
    log.record({ type: 'call' });
    const flushed = log.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(linesOf(file)).toHaveLength(1);
    rmSync(lock);
    await flushed;
    await log.close();
    expect(linesOf(file)).toHaveLength(2);
    expect(existsSync(lock)).toBe(false);
  });

  test('nothing thrown into the session: a broken clock is a dropped record and one problem line', async () => {
    const { options } = setup();
    const problems: string[] = [];
    const log = openAuditLog({ ...options, now: () => new Date(Number.NaN), onProblem: (m) => problems.push(m) });
    expect(() => log.record({ type: 'call' })).not.toThrow();
    await log.close();
    expect(log.stats()).toMatchObject({ written: 0, dropped: 1 });
    expect(problems).toHaveLength(1);
  });

  test('a directory removed during a session is created again; the records meanwhile are counted', async () => {
    const { dir, options, file } = setup();
    const problems: string[] = [];
    const log = openAuditLog({ ...options, onProblem: (m) => problems.push(m) });
    log.record({ type: 'call', id: 1 });
    await log.flush();
    rmSync(dir, { recursive: true });
    log.record({ type: 'call', id: 2 });
    await log.flush();
    log.record({ type: 'call', id: 3 });
    await log.close();
    expect(log.stats()).toMatchObject({ written: 2, dropped: 1 });
    expect(problems).toHaveLength(1);
    expect(linesOf(file).map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([3]);
    expect(verifyAuditFiles([file]).broken).toBeUndefined();
  });

  test('records after close are dropped, never thrown', async () => {
    const { options } = setup();
    const log = openAuditLog(options);
    await log.close();
    expect(() => log.record({ type: 'call' })).not.toThrow();
    expect(log.stats().dropped).toBe(1);
  });

  test('rotation by size: the chain continues in <stem>.1.jsonl, .2.jsonl and verifies across them', async () => {
    const { dir, options, file } = setup({ maxSegmentBytes: 1000 });
    for (let i = 0; i < 12; i += 1) await writeRecords(options, 1, `s${i}`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files).toContain('demo-2026-12-01.1.jsonl');
    const second = linesOf(path.join(dir, 'demo-2026-12-01.1.jsonl'));
    const first = linesOf(file);
    expect(lineHead(second[0]!)).toEqual({ seq: first.length + 1, prev: sha256Hex(first[first.length - 1]!) });
    const report = verifyAuditFiles([path.join(dir, 'demo-2026-12-01.1.jsonl')]);
    expect(report.broken).toBeUndefined();
    expect(report.lines).toBe(12);
  });
});

describe('verify finds tampering at the right line', () => {
  async function chain(n = 6): Promise<{ dir: string; file: string; lines: string[] }> {
    const { dir, options, file } = setup();
    await writeRecords(options, n, 'tamper');
    return { dir, file, lines: linesOf(file) };
  }

  test('an edited line', async () => {
    const { file, lines } = await chain();
    lines[2] = lines[2]!.replace('"tool":"echo"', '"tool":"rm"');
    writeLines(file, lines);
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 3, reason: expect.stringContaining('line changed after it was written') });
  });

  test('a deleted line', async () => {
    const { file, lines } = await chain();
    lines.splice(3, 1);
    writeLines(file, lines);
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 4, reason: 'seq 5 where 4 was expected: a line before it deleted, or lines reordered' });
  });

  test('a deleted first line', async () => {
    const { file, lines } = await chain();
    writeLines(file, lines.slice(1));
    expect(verifyAuditFiles([file]).broken).toMatchObject({ file, line: 1, reason: expect.stringContaining('seq 2 where 1') });
  });

  test('an inserted line: a copy, and one with a forged next seq', async () => {
    const { file, lines } = await chain();
    writeLines(file, [...lines.slice(0, 2), lines[0]!, ...lines.slice(2)]);
    expect(verifyAuditFiles([file]).broken).toMatchObject({ file, line: 3, reason: expect.stringContaining('inserted') });
    const forged = JSON.stringify({ seq: 3, prev: sha256Hex('x'), ts: '2026-12-01T10:00:00.000Z', type: 'call' });
    writeLines(file, [...lines.slice(0, 2), forged, ...lines.slice(2)]);
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 3, reason: 'line inserted: the next line links to the line before it' });
  });

  test('reordered lines', async () => {
    const { file, lines } = await chain();
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeLines(file, lines);
    expect(verifyAuditFiles([file]).broken).toMatchObject({ file, line: 2, reason: expect.stringContaining('seq 3 where 2') });
  });

  test('a line that is not JSON, a cut-off last line, a missing segment', async () => {
    const { dir, file, lines } = await chain();
    writeLines(file, [...lines.slice(0, 4), `${lines[4]!.slice(0, -1)}`, lines[5]!]);
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 5, reason: 'not valid JSON' });
    writeFileSync(file, `${lines.join('\n')}`);
    expect(verifyAuditFiles([file]).broken).toMatchObject({ line: 6, reason: expect.stringContaining('incomplete last line') });
    writeLines(file, lines);
    writeLines(path.join(dir, 'demo-2026-12-01.2.jsonl'), ['{}']);
    expect(verifyAuditFiles([file]).broken).toMatchObject({ file: path.join(dir, 'demo-2026-12-01.1.jsonl'), reason: expect.stringContaining('segment missing') });
  });

  test('the head file catches an edited last line and lines cut off the end; a head behind the chain is accepted', async () => {
    const { dir, file, lines } = await chain(4);
    const head = path.join(dir, 'demo-2026-12-01.head');
    expect(JSON.parse(readFileSync(head, 'utf8'))).toEqual({ seq: 4, hash: sha256Hex(lines[3]!) });
    expect(lstatSync(head).mode & 0o777).toBe(0o600);
    writeLines(file, [...lines.slice(0, 3), lines[3]!.replace('"tool":"echo"', '"tool":"rm"')]);
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 4, reason: expect.stringContaining('last line changed') });
    writeLines(file, lines.slice(0, 2));
    expect(verifyAuditFiles([file]).broken).toEqual({ file, line: 3, reason: 'lines cut off the end: the head records seq 4, the chain ends at seq 2' });
    writeLines(file, lines);
    writeFileSync(head, JSON.stringify({ seq: 3, hash: sha256Hex(lines[2]!) }));
    expect(verifyAuditFiles([file]).broken).toBeUndefined();
    rmSync(head);
    expect(verifyAuditFiles([file]).broken).toBeUndefined();
  });

  test('a renamed file does not start its chain', async () => {
    const { dir, file, lines } = await chain(2);
    const renamed = path.join(dir, 'demo-2026-11-30.jsonl');
    writeLines(renamed, lines);
    expect(verifyAuditFiles([renamed]).broken).toMatchObject({ file: renamed, line: 1, reason: expect.stringContaining('start of this day') });
    expect(verifyAuditFiles([file]).broken).toBeUndefined();
  });
});

describe('webhook', () => {
  let server: Server;
  let url: string;
  const bodies: unknown[] = [];
  let mode: 'ok' | 'fail' | 'hang' = 'ok';

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString('utf8')));
      request.on('end', () => {
        bodies.push(JSON.parse(body));
        if (mode === 'hang') return;
        response.statusCode = mode === 'ok' ? 204 : 500;
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('security events are POSTed, other records are not; failures and timeouts only counted', async () => {
    const { options, file } = setup();
    mode = 'ok';
    const log = openAuditLog({ ...options, session: 'hooked', webhook: url, webhookTimeoutMs: 300 });
    log.record({ type: 'call', method: 'tools/call' });
    log.record({ type: 'security', event: 'secret-masked', source: 'GITHUB_TOKEN', count: 1 });
    await log.close();
    expect(bodies).toEqual([{ profile: 'demo', ts: '2026-12-01T10:00:00.001Z', session: 'hooked', type: 'security', event: 'secret-masked', source: 'GITHUB_TOKEN', count: 1 }]);
    expect(log.stats()).toMatchObject({ written: 2, webhookSent: 1, webhookFailed: 0 });
    expect(linesOf(file)).toHaveLength(2);

    for (const next of ['fail', 'hang'] as const) {
      mode = next;
      const failing = openAuditLog({ ...options, webhook: url, webhookTimeoutMs: next === 'hang' ? 1500 : 300 });
      failing.record({ type: 'security', event: next });
      await failing.flush();
      // The record is on disk while a hanging receiver still has the POST.
      if (next === 'hang') expect(failing.stats()).toMatchObject({ written: 1, webhookSent: 0, webhookFailed: 0 });
      const started = Date.now();
      await failing.close();
      expect(failing.stats()).toMatchObject({ written: 1, webhookSent: 0, webhookFailed: 1 });
      // close() waits for the POST, but no longer than its timeout.
      if (next === 'hang') expect(Date.now() - started).toBeLessThan(3000);
    }
    const unreachable = openAuditLog({ ...options, webhook: 'http://127.0.0.1:1/none', webhookTimeoutMs: 300 });
    unreachable.record({ type: 'security', event: 'x' });
    await unreachable.close();
    expect(unreachable.stats().webhookFailed).toBe(1);
  });
});
