/**
 * The gate as `mcp-sandbox run` wires it (src/run/gate-stage.ts), not in-process: the MCP SDK
 * client starts the launcher as a real client would, server-everything runs under gVisor, and
 * the policy, the secret masking and the audit log (hash chain, `audit verify`) are checked on
 * what the launcher itself did.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { closeAndCheck, connect, describeEngine, ROOT, runCli, tempDir } from './helpers/engine.js';

jest.setTimeout(120_000);

const PROFILE = path.join(ROOT, 'test', 'fixtures', 'gate', 'everything-mask.yaml');
const TOKEN = `gate-run-token-${process.pid}-Hk27pQ`;

interface Record_ {
  type: string;
  [key: string]: unknown;
}

function auditLines(dir: string): { file: string; records: Record_[] } {
  const files = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  expect(files).toHaveLength(1);
  const file = path.join(dir, files[0] as string);
  return { file, records: readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record_) };
}

describeEngine('the gate inside mcp-sandbox run', () => {
  test('denied tools are invisible, the declared secret is masked, and every step is in a verifiable audit log', async () => {
    const auditDir = tempDir('mcp-sandbox-audit-');
    const env = { MCP_SANDBOX_AUDIT_DIR: auditDir, MCP_SANDBOX_GATE_TOKEN: TOKEN };
    const session = await connect(PROFILE, { env });
    try {
      const names = (await session.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('get-env');
      expect(names).not.toContain('get-sum');
      await expect(session.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })).rejects.toThrow(/tools\.deny/);
      const env_ = JSON.stringify(await session.client.callTool({ name: 'get-env', arguments: {} }));
      expect(env_).toContain('[masked:MCP_SANDBOX_GATE_TOKEN]');
      expect(env_).not.toContain(TOKEN);
    } finally {
      expect(await closeAndCheck(session)).toBe(true);
    }

    const { file, records } = auditLines(auditDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(auditDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8')).not.toContain(TOKEN);
    const types = records.map((r) => r.type);
    expect(types).toContain('session-start');
    expect(types[types.length - 1]).toBe('session-end');
    const start = records.find((r) => r.type === 'session-start') as Record_;
    expect(start).toMatchObject({ profile: 'gate-everything', client: { name: 'mcp-sandbox-engine-test' }, launcherPid: expect.any(Number) });
    expect(String(start.container)).toMatch(/^[0-9a-f]{64}$/);
    expect(String(start.imageDigest)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(records).toContainEqual(expect.objectContaining({ type: 'call', method: 'tools/call', tool: 'get-sum', decision: 'deny' }));
    expect(records).toContainEqual(expect.objectContaining({ type: 'call', method: 'tools/call', tool: 'get-env', decision: 'allow' }));
    expect(records).toContainEqual(expect.objectContaining({ type: 'security', event: 'secret-masked' }));
    // One session id on every record of this run.
    expect(new Set(records.map((r) => r.session)).size).toBe(1);

    const verified = await runCli(['audit', 'verify', file]);
    expect(verified.code).toBe(0);

    // An edit anywhere in the chain is found, at its line.
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = (lines[2] as string).replace('"allow"', '"deny"').replace('tools/list', 'tools/lisT');
    writeFileSync(file, lines.join('\n'));
    const broken = await runCli(['audit', 'verify', file]);
    expect(broken.code).toBe(5);
    expect(broken.stdout + broken.stderr).toMatch(new RegExp(`${path.basename(file)}:(3|4)\\b`));
  });

  test('MCP_SANDBOX_GATE=off carries bytes blind and says so on stderr', async () => {
    const auditDir = tempDir('mcp-sandbox-audit-');
    const session = await connect(PROFILE, { env: { MCP_SANDBOX_AUDIT_DIR: auditDir, MCP_SANDBOX_GATE_TOKEN: TOKEN, MCP_SANDBOX_GATE: 'off' } });
    try {
      expect((await session.client.listTools()).tools.map((t) => t.name)).toContain('get-sum');
      expect(session.stderr()).toContain('the MCP gate is off');
    } finally {
      expect(await closeAndCheck(session)).toBe(true);
    }
    expect(readdirSync(auditDir)).toEqual([]);
  });
});
