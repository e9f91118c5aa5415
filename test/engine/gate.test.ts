/**
 * The MCP gate end to end: the real MCP SDK client talks to the gate in-process, the gate to a
 * real `mcp-sandbox run <profile>` child (server-everything and server-filesystem under gVisor),
 * as the launcher will wire it. Policy, validation, secret masking and blocking, the rate limit,
 * roots from the mounts, and a 10 MB message through the gate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { jest } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { gateConfigOf } from '../../src/gate/config.js';
import { createGate } from '../../src/gate/gate.js';
import { GATE_ERRORS } from '../../src/gate/jsonrpc.js';
import type { GateStage } from '../../src/gate/types.js';
import { loadProfile } from '../../src/profile/load.js';
import { BIN, ROOT, containersOfLauncher, describeEngine, eventually, launcherEnv } from './helpers/engine.js';

jest.setTimeout(120_000);

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'gate');
const TOKEN = `gate-test-token-${process.pid}-Zq81xV`;

/** An SDK client transport over the gate's two streams. */
class GateTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly gate: GateStage) {}

  async start(): Promise<void> {
    this.gate.toClient.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) this.onmessage?.(message);
    });
    this.gate.toClient.on('end', () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.gate.toServer.write(serializeMessage(message))) await new Promise((resolve) => this.gate.toServer.once('drain', resolve));
  }

  async close(): Promise<void> {
    this.gate.toServer.end();
  }
}

interface GatedSession {
  client: Client;
  records: Array<Record<string, unknown>>;
  child: ChildProcess;
  stderr(): string;
  close(): Promise<void>;
}

async function gated(fixture: string): Promise<GatedSession> {
  const file = path.join(FIXTURES, fixture);
  const loaded = loadProfile(file);
  const records: Array<Record<string, unknown>> = [];
  const gate = createGate(gateConfigOf(loaded.raw), {
    secrets: { MCP_SANDBOX_GATE_TOKEN: TOKEN },
    mounts: loaded.profile.filesystem.mounts.map((mount) => ({ target: mount.target, readOnly: mount.readOnly })),
    audit: { record: (entry) => records.push(entry), close: async () => undefined },
    pinning: { drifted: () => ({ added: [], changed: [] }) },
  });
  // The gate under test is this in-process one: the launcher's own gate is off for the child.
  const child = spawn(process.execPath, [BIN, 'run', file], { cwd: ROOT, env: launcherEnv({ MCP_SANDBOX_GATE_TOKEN: TOKEN, MCP_SANDBOX_GATE: 'off' }), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout?.pipe(gate.toClient);
  gate.toServer.pipe(child.stdin!);
  const client = new Client({ name: 'gate-engine-test', version: '1.0.0' });
  try {
    await client.connect(new GateTransport(gate));
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`connect failed: ${(error as Error).message}\nlauncher stderr:\n${stderr}`);
  }
  const close = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('close', resolve));
    await client.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 15_000)))]);
    clearTimeout(timer);
    await gate.close();
  };
  return { client, records, child, stderr: () => stderr, close };
}

type Content = Array<{ type: string; text?: string }>;
const textOf = (result: unknown): string => ((result as { content: Content }).content[0]?.text ?? '');

async function expectGateError(promise: Promise<unknown>, code: number, text: string | RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code, message: expect.stringMatching(text) });
}

async function closeAndCheck(session: GatedSession): Promise<void> {
  const pid = session.child.pid as number;
  await session.close();
  expect(await eventually(() => containersOfLauncher(pid).length === 0, 10_000)).toBe(true);
}

describeEngine('gate with server-everything (secretScan: mask)', () => {
  let session: GatedSession;
  beforeAll(async () => {
    session = await gated('everything-mask.yaml');
  });
  afterAll(async () => {
    if (session) await closeAndCheck(session);
  });

  test('a denied tool is invisible and uncallable', async () => {
    const { tools } = await session.client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-env']));
    expect(names).not.toContain('get-sum');
    expect(names.filter((name) => name.startsWith('trigger-'))).toEqual([]);
    await expectGateError(session.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }), GATE_ERRORS.DENIED, /tool "get-sum" is denied by tools.deny "get-sum"/);
  });

  test('invalid arguments are refused by the gate, before the server', async () => {
    await expectGateError(session.client.callTool({ name: 'echo', arguments: { message: 42 } }), GATE_ERRORS.INVALID_ARGUMENTS, /^MCP error -32602: mcp-sandbox: invalid arguments for "echo": arguments\/message must be string/);
    const refused = session.records.find((r) => r.type === 'call' && r.tool === 'echo' && r.decision === 'deny');
    expect(refused).toMatchObject({ rule: 'tools.inputSchema', method: 'tools/call' });
    // Only the gate answered: the pair has no server time in it.
    expect(refused?.durationMs).toBe(0);
  });

  test("get-env's environment reaches the client without the declared secret's value", async () => {
    const text = textOf(await session.client.callTool({ name: 'get-env', arguments: {} }));
    expect(text).toContain('MCP_SANDBOX_GATE_TOKEN');
    expect(text).toContain('[masked:MCP_SANDBOX_GATE_TOKEN]');
    expect(text).not.toContain(TOKEN);
    expect(session.records).toContainEqual(expect.objectContaining({ type: 'security', event: 'secret-masked', source: 'secret:MCP_SANDBOX_GATE_TOKEN' }));
    expect(JSON.stringify(session.records)).not.toContain(TOKEN);
  });

  test('a 10 MB message arrives intact through the gate', async () => {
    const head = 'ÄéЖ漢😀 "quoted" \\ tab\t newline\n ';
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let message = head;
    while (message.length < 10_000_000) message += alphabet.repeat(64);
    message = message.slice(0, 10_000_000);
    const result = await session.client.callTool({ name: 'echo', arguments: { message } }, undefined, { timeout: 90_000 });
    const text = textOf(result);
    expect(text.length).toBe(message.length + 'Echo: '.length);
    expect(text === `Echo: ${message}`).toBe(true);
  });

  test('each request/response pair is an audit record', () => {
    const calls = session.records.filter((r) => r.type === 'call' && r.method === 'tools/call' && r.decision === 'allow');
    expect(calls.map((r) => r.tool)).toEqual(['get-env', 'echo']);
    expect(calls[1]).toMatchObject({ isError: false, bytesIn: expect.any(Number), bytesOut: expect.any(Number) });
    expect(calls[1]?.bytesIn as number).toBeGreaterThan(10_000_000);
  });
});

describeEngine('gate with server-everything (secretScan: block, 3 calls a minute)', () => {
  let session: GatedSession;
  beforeAll(async () => {
    session = await gated('everything-strict.yaml');
  });
  afterAll(async () => {
    if (session) await closeAndCheck(session);
  });

  test('get-env, never listed by the client, is an error: its result carried the secret', async () => {
    // The client calls without listing: the gate lists on its own (not recorded as a client pair),
    // validates, forwards, and blocks the answer.
    await expectGateError(session.client.callTool({ name: 'get-env', arguments: {} }), GATE_ERRORS.SECRET_BLOCKED, /carried a secret \(declared secret MCP_SANDBOX_GATE_TOKEN\)/);
    expect(session.records).toContainEqual(expect.objectContaining({ type: 'security', event: 'secret-blocked' }));
    expect(session.records.filter((r) => r.method === 'tools/list')).toEqual([]);
    expect(session.records).toContainEqual(expect.objectContaining({ type: 'call', tool: 'get-env', decision: 'allow' }));
  });

  test('the fourth call in a minute is refused by the rate limit', async () => {
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'one' } }))).toBe('Echo: one');
    expect(textOf(await session.client.callTool({ name: 'echo', arguments: { message: 'two' } }))).toBe('Echo: two');
    await expectGateError(session.client.callTool({ name: 'echo', arguments: { message: 'three' } }), GATE_ERRORS.RATE_LIMITED, /3 tool calls per minute/);
  });
});

describeEngine('gate with server-filesystem (roots: mounts, constrain)', () => {
  let session: GatedSession;
  beforeAll(async () => {
    session = await gated('filesystem-roots.yaml');
  });
  afterAll(async () => {
    if (session) await closeAndCheck(session);
  });

  test('the server lists exactly the mounted directory: the gate answered roots/list from the mounts', async () => {
    // The server asks for roots after `initialized`; its answer replaces /tmp from its command line.
    const expected = 'Allowed directories:\n/workspace';
    let text = '';
    for (let i = 0; i < 80 && text !== expected; i += 1) {
      text = textOf(await session.client.callTool({ name: 'list_allowed_directories', arguments: {} }));
      if (text !== expected) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(text).toBe(expected);
  });

  test('constrain refuses a path outside /workspace; inside it reads', async () => {
    await expectGateError(session.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/passwd' } }), GATE_ERRORS.INVALID_ARGUMENTS, /tools\.constrain\.read_text_file/);
    expect(textOf(await session.client.callTool({ name: 'read_text_file', arguments: { path: '/workspace/hello.txt' } }))).toContain('hello');
  });

  test('denied write tools are not listed', async () => {
    const names = (await session.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('read_text_file');
    expect(names.filter((name) => /^write_|^edit_file$|^move_file$|^create_directory$/.test(name))).toEqual([]);
  });
});
