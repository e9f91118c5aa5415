/**
 * `mcp-sandbox serve` as a client sees it: the built CLI listening on loopback, the MCP SDK's
 * Streamable HTTP client, server-memory and server-everything under gVisor. Each session is its
 * own sandbox (own container, own state); DELETE, the idle timeout, SIGTERM and a SIGKILLed serve
 * (the watchdog) each remove what they should; the session limit refuses without creating; and
 * nothing with the test profiles' labels is left behind.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { containersWithLabel, describeEngine, eventually, NODE_IMAGE, runCli, tempDir, writeUserConfig } from './helpers/engine.js';
import { startServeCli, type Served } from './helpers/serve.js';

jest.setTimeout(180_000);

const SERVERS = '/app/node_modules/@modelcontextprotocol';
type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');


const profiles: string[] = [];
const children: ChildProcess[] = [];

/** A profile of its own (name, config, audit dir, XDG dirs) for one test. */
function world(name: string, command: string, serve: string, extra = ''): { file: string; env: Record<string, string>; audit: string } {
  return worldWith(name, `entrypoint: [node]\ncommand: [${command}]\n`, serve, extra);
}

function worldWith(name: string, run: string, serve: string, extra = ''): { file: string; env: Record<string, string>; audit: string } {
  const dir = tempDir('serve-engine-');
  const profile = `${name}-${process.pid}`;
  profiles.push(profile);
  const file = path.join(dir, `${profile}.yaml`);
  const yaml = `version: 1\nname: ${profile}\nimage: ${NODE_IMAGE}\npull: never\n${run}user: "10001"\n${extra}serve:\n${serve}`;
  writeFileSync(file, yaml);
  const audit = path.join(dir, 'audit');
  return { file, audit, env: { MCP_SANDBOX_CONFIG: writeUserConfig(dir, '{}\n'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache'), MCP_SANDBOX_AUDIT_DIR: audit } };
}


function containers(profile: string): string[] {
  return containersWithLabel(`mcp-sandbox.profile=${profile}`);
}

async function startServe(file: string, env: Record<string, string>): Promise<Served> {
  const served = await startServeCli([file, '--listen', '127.0.0.1:0', '--auth', 'none', '--verbose'], env);
  children.push(served.child);
  return served;
}

async function connect(url: URL): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'serve-engine-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // Nothing left behind: every test profile's containers are gone (the watchdogs included).
  for (const profile of profiles) expect(await eventually(() => containers(profile).length === 0, 20_000)).toBe(true);
});

describeEngine('mcp-sandbox serve', () => {
  test('one sandbox per session with its own state; the limit refuses without creating; DELETE and SIGTERM remove', async () => {
    const w = world('serve-mem', `${SERVERS}/server-memory/dist/index.js`, '  sessions: { max: 2, idleTimeout: 120 }\n', 'env:\n  MEMORY_FILE_PATH: /tmp/memory.jsonl\n');
    const profile = path.basename(w.file, '.yaml');
    const served = await startServe(w.file, w.env);
    const a = await connect(served.url);
    const b = await connect(served.url);
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const ids = containers(profile);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(execFileSync('docker', ['inspect', '--format', '{{.HostConfig.Runtime}}', id], { encoding: 'utf8' }).trim()).toMatch(/^runsc/);

    await a.client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'only-in-a', entityType: 'test', observations: ['written by a'] }] } });
    expect(textOf(await a.client.callTool({ name: 'read_graph', arguments: {} }))).toContain('only-in-a');
    expect(textOf(await b.client.callTool({ name: 'read_graph', arguments: {} }))).not.toContain('only-in-a');

    // A third session is over serve.sessions.max: a JSON-RPC error, and no container.
    const refused = await fetch(served.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(INIT) });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringContaining('serve.sessions.max') } });
    expect(containers(profile).sort()).toEqual([...ids].sort());

    // DELETE is answered once a's sandbox is gone; b's keeps running.
    await a.transport.terminateSession();
    expect(await eventually(() => containers(profile).length === 1, 5_000)).toBe(true);
    expect(textOf(await b.client.callTool({ name: 'read_graph', arguments: {} }))).not.toContain('only-in-a');
    await a.client.close();

    // The audit log: one session-start per session, each naming its own container.
    const starts = auditRecords(w.audit).filter((r) => r.type === 'session-start');
    expect(new Set(starts.map((r) => r.container)).size).toBe(2);

    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    // As with `run`, the engine's AutoRemove may still be finishing what serve asked for.
    expect(await eventually(() => containers(profile).length === 0, 5_000)).toBe(true);
    expect(served.stderr()).toMatch(/session \S+ ended: deleted by the client/);
    expect(served.stderr()).toMatch(/session \S+ ended: serve is shutting down/);
    // stdout is not MCP in serve, and nothing else goes there either.
    expect(served.stdout()).toBe('');
    await b.client.close();
  });

  test('server-everything over HTTP: tools work; the idle timeout removes the sandbox', async () => {
    const w = world('serve-idle', `${SERVERS}/server-everything/dist/index.js, stdio`, '  sessions: { idleTimeout: 3 }\n');
    const profile = path.basename(w.file, '.yaml');
    const served = await startServe(w.file, w.env);
    const { client, transport } = await connect(served.url);
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'over http' } }))).toContain('over http');
    expect(containers(profile)).toHaveLength(1);
    expect(await eventually(() => containers(profile).length === 0, 20_000)).toBe(true);
    // The container leaves the engine's list before serve's launcher has returned and logged the end.
    expect(await eventually(() => /ended: idle timeout/.test(served.stderr()), 10_000)).toBe(true);
    const after = await fetch(served.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId as string, 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }) });
    expect(after.status).toBe(404);
    await client.close();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  test("a session claims the profile's warm pool member instead of creating one", async () => {
    const w = world('serve-warm', `${SERVERS}/server-everything/dist/index.js, stdio`, '  sessions: { max: 2 }\n', 'warm: { pool: 0 }\n');
    const profile = path.basename(w.file, '.yaml');
    const filled = await runCli(['warm', w.file, '--pool', '1'], { env: w.env });
    expect(filled.code).toBe(0);
    const [member] = containers(profile);
    expect(member).toBeDefined();
    const served = await startServe(w.file, w.env);
    const { client, transport } = await connect(served.url);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'warm over http' } }))).toContain('warm over http');
    // The one container is the pooled one, now claimed (pool: 0 in the profile: no refill).
    expect(containers(profile)).toEqual([member]);
    expect(execFileSync('docker', ['inspect', '--format', '{{.Name}}', member as string], { encoding: 'utf8' })).toContain('-claimed-');
    await transport.terminateSession();
    expect(await eventually(() => containers(profile).length === 0, 10_000)).toBe(true);
    await client.close();
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  test('serve SIGKILLed: the watchdogs remove its sandboxes, even of a server that ignores stdin EOF and SIGTERM', async () => {
    // Only the watchdog removes this one: stdin EOF (the attach stream gone) does not end it.
    const stubborn = `entrypoint: [sh, -c]\ncommand: ['trap "" TERM INT HUP; node ${SERVERS}/server-everything/dist/index.js stdio; sleep 600']\n`;
    const w = worldWith('serve-kill', stubborn, '  sessions: { max: 4 }\n');
    const profile = path.basename(w.file, '.yaml');
    const served = await startServe(w.file, w.env);
    const a = await connect(served.url);
    const b = await connect(served.url);
    await a.client.listTools();
    await b.client.listTools();
    expect(containers(profile)).toHaveLength(2);
    // The watchdog is armed once a session's first answer is out and the client is quiet.
    await new Promise((r) => setTimeout(r, 1500));
    served.child.kill('SIGKILL');
    await served.exited;
    expect(await eventually(() => containers(profile).length === 0, 30_000)).toBe(true);
    await a.client.close().catch(() => undefined);
    await b.client.close().catch(() => undefined);
  });
});

function auditRecords(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(path.join(dir, name), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
}
