/**
 * The gate's audit records are written after the messages they are about, batched and off the
 * forwarding tick: none may be lost for it. A burst of 1000 calls through the session's gate
 * stage (src/run/gate-stage.ts), the session ended right after the last answer: every call has
 * its record, in one intact chain that `audit verify` accepts, ended by session-end.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import type { SandboxSpec } from '../../../src/compile/spec.js';
import type { EngineClient } from '../../../src/engine/client.js';
import { lineHead } from '../../../src/gate/audit/chain.js';
import { verifyAuditFiles } from '../../../src/gate/audit/verify.js';
import { gateConfigOf } from '../../../src/gate/config.js';
import { openGateSession } from '../../../src/run/gate-stage.js';
import { TOOLS } from '../gate/harness.js';

/** A server that answers each request line at once (tools/list with TOOLS, tools/call with an echo). */
function echoServer(): Transform {
  let pending = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, callback): void {
      const text = pending + chunk.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const message = JSON.parse(line) as { id?: unknown; method?: string; params?: { arguments?: { message?: string } } };
        if (message.id === undefined) continue;
        const result = message.method === 'tools/list' ? { tools: TOOLS } : message.method === 'initialize' ? { protocolVersion: '2025-06-18', capabilities: {} } : { content: [{ type: 'text', text: `Echo: ${message.params?.arguments?.message ?? ''}` }] };
        this.push(`${JSON.stringify({ result, jsonrpc: '2.0', id: message.id })}\n`);
      }
      callback();
    },
  });
}

describe('gate audit under a burst', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ms-gate-audit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('1000 calls at once, the session ended right after the last answer: 1000 call records, one valid chain', async () => {
    const auditDir = path.join(dir, 'audit');
    const spec = { name: 'burst', image: 'example/echo:1', gate: gateConfigOf({}), mounts: [] } as unknown as SandboxSpec;
    const engine = { inspectImage: async () => ({ Id: 'sha256:0123' }) } as unknown as EngineClient;
    const session = openGateSession({ spec, profileFile: path.join(dir, 'burst.yaml'), secretValues: {}, env: { MCP_SANDBOX_AUDIT_DIR: auditDir }, engine, debug: () => undefined });
    const server = echoServer();
    session.stage.toServer.pipe(server).pipe(session.stage.toClient);
    let answered = 0;
    let buffered = '';
    const allAnswered = new Promise<void>((resolve) => {
      session.stage.toClient.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        answered += lines.length;
        if (answered === 1001) resolve();
      });
    });
    session.stage.toServer.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '1' } } })}\n`);
    // The whole burst in one go, as a client that does not wait for answers sends it.
    const burst = Array.from({ length: 1000 }, (_, i) => `${JSON.stringify({ method: 'tools/call', params: { name: 'echo', arguments: { message: `ping ${i}` } }, jsonrpc: '2.0', id: i })}\n`);
    session.stage.toServer.write(burst.join(''));
    await allAnswered;
    await session.end({ exitCode: 0, reason: 'stdin-eof' });

    const files = readdirSync(auditDir).filter((file) => file.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const report = verifyAuditFiles([], auditDir);
    expect(report.broken).toBeUndefined();
    const lines = readFileSync(path.join(auditDir, files[0] as string), 'utf8').split('\n').filter(Boolean);
    expect(report.lines).toBe(lines.length);
    expect(lines.map((line) => lineHead(line)?.seq)).toEqual(lines.map((_, i) => i + 1));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const calls = records.filter((r) => r.type === 'call' && r.method === 'tools/call');
    expect(calls.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const [i, r] of calls.entries()) expect(r).toMatchObject({ tool: 'echo', decision: 'allow', isError: false, arguments: { message: `ping ${i}` } });
    expect(records.filter((r) => r.type === 'session-start')).toHaveLength(1);
    expect(records.at(-1)).toMatchObject({ type: 'session-end', exitCode: 0, reason: 'stdin-eof' });
    expect(session.audit.stats()).toMatchObject({ written: lines.length, dropped: 0 });
  });
});
