/** `serve` with OAuth: the principal's subject and client id are on every record of its session, and a record cannot forge them. */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAuditLog } from '../../../src/gate/audit/log.js';

function records(dir: string): Array<Record<string, unknown>> {
  const file = readdirSync(dir).find((name) => name.endsWith('.jsonl')) as string;
  return readFileSync(path.join(dir, file), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('subject and clientId stamped after the session id on every record', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-principal-'));
  const log = openAuditLog({ profile: 'p', env: { MCP_SANDBOX_AUDIT_DIR: dir }, principal: { subject: 'alice', clientId: 'editor' } });
  log.record({ type: 'session-start' });
  log.record({ type: 'call', method: 'tools/call', subject: 'mallory', clientId: 'forged' });
  await log.close();
  const lines = records(dir);
  expect(lines).toHaveLength(2);
  for (const line of lines) expect(line).toMatchObject({ session: log.session, subject: 'alice', clientId: 'editor' });
});

test('without a principal no subject field appears, and a record cannot add one', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-principal-'));
  const log = openAuditLog({ profile: 'p', env: { MCP_SANDBOX_AUDIT_DIR: dir } });
  log.record({ type: 'call', subject: 'mallory' });
  await log.close();
  expect(records(dir)[0]).not.toHaveProperty('subject');
});
