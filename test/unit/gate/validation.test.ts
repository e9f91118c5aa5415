import { jest } from '@jest/globals';
import { GATE_ERRORS } from '../../../src/gate/jsonrpc.js';
import { harness, INIT, listTools, TOOLS } from './harness.js';

type Answer = { id?: unknown; error?: { code: number; message: string; data: { rule: string } }; result?: Record<string, unknown> };
const call = (id: number, name: string, args: unknown): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('argument validation', () => {
  test('draft-07 inputSchema: invalid arguments are refused with the validation message, valid ones forwarded', async () => {
    const h = harness();
    await listTools(h);
    const sent = h.serverGot().length;
    await h.client(call(1, 'echo', { message: 42 }));
    await h.client(call(2, 'echo', { message: 'ok', extra: true }));
    expect(h.serverGot().length).toBe(sent);
    const [first, second] = h.clientGot().slice(-2) as Answer[];
    expect(first?.error?.code).toBe(GATE_ERRORS.INVALID_ARGUMENTS);
    expect(first?.error?.message).toContain('arguments/message must be string');
    expect(second?.error?.message).toContain('must NOT have additional properties');
    await h.client(call(3, 'echo', { message: 'ok' }));
    expect(h.serverGot().length).toBe(sent + 1);
  });

  test('2020-12 inputSchema (and the default dialect when $schema is absent)', async () => {
    const h = harness();
    await listTools(h, 1, [
      ...TOOLS,
      { name: 'tuple', inputSchema: { type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false } } } },
    ]);
    await h.client(call(1, 'read_text_file', { head: 3 }));
    expect((h.clientGot().at(-1) as Answer).error?.message).toContain("must have required property 'path'");
    await h.client(call(2, 'tuple', { pair: ['a', 1, 'extra'] }));
    expect((h.clientGot().at(-1) as Answer).error?.message).toContain('must NOT have more than 2 items');
    const sent = h.serverGot().length;
    await h.client(call(3, 'tuple', { pair: ['a', 1] }));
    expect(h.serverGot().length).toBe(sent + 1);
  });

  test('constrain applies on top of the inputSchema: both must pass', async () => {
    const h = harness({ tools: { constrain: { read_text_file: { properties: { path: { pattern: '^/workspace/' } } } } } });
    await listTools(h);
    await h.client(call(1, 'read_text_file', { path: '/etc/passwd' }));
    const answer = h.clientGot().at(-1) as Answer;
    expect(answer.error?.code).toBe(GATE_ERRORS.INVALID_ARGUMENTS);
    expect(answer.error?.message).toContain('tools.constrain.read_text_file');
    expect(answer.error?.message).toContain('must match pattern "^/workspace/"');
    expect(answer.error?.data.rule).toBe('tools.constrain.read_text_file');
    await h.client(call(2, 'read_text_file', { path: 42 }));
    expect((h.clientGot().at(-1) as Answer).error?.message).toContain("the tool's inputSchema");
    const sent = h.serverGot().length;
    await h.client(call(3, 'read_text_file', { path: '/workspace/hello.txt' }));
    expect(h.serverGot().length).toBe(sent + 1);
  });

  test('a call to a tool the client never listed: the gate lists on its own, answer not forwarded, then validates', async () => {
    const h = harness();
    await h.client(INIT);
    const calling = h.client(call(7, 'echo', { message: 5 }));
    // The gate's own tools/list reaches the server with an id of its own.
    for (let i = 0; i < 50 && !h.serverGot().some((m) => (m as { method?: string }).method === 'tools/list'); i += 1) await new Promise((r) => setTimeout(r, 10));
    const own = h.serverGot().find((m) => (m as { method?: string }).method === 'tools/list') as { id: string };
    expect(typeof own.id).toBe('string');
    expect(own.id).toMatch(/^mcp-sandbox-gate-/);
    const clientSaw = h.clientGot().length;
    await h.server({ jsonrpc: '2.0', id: own.id, result: { tools: TOOLS } });
    await calling;
    // The client got the refusal of its call, and never the gate's list.
    const got = h.clientGot().slice(clientSaw) as Answer[];
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: 7, error: { code: GATE_ERRORS.INVALID_ARGUMENTS } });
  });

  test('a tool the server does not list is refused', async () => {
    const h = harness();
    await listTools(h);
    const calling = h.client(call(8, 'hidden_tool', {}));
    for (let i = 0; i < 50 && h.serverGot().filter((m) => (m as { method?: string }).method === 'tools/list').length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
    const own = h.serverGot().at(-1) as { id: string };
    await h.server({ jsonrpc: '2.0', id: own.id, result: { tools: TOOLS } });
    await calling;
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.UNKNOWN_TOOL });
  });
});

describe('the gate lists on its own across pages', () => {
  test('follows nextCursor until the tool is known, none of it forwarded', async () => {
    const h = harness();
    await h.client(INIT);
    const calling = h.client(call(9, 'read_text_file', { path: 7 }));
    const ownLists = (): Array<{ id: string; params: { cursor?: string } }> => h.serverGot().filter((m) => (m as { method?: string }).method === 'tools/list') as Array<{ id: string; params: { cursor?: string } }>;
    for (let i = 0; i < 50 && ownLists().length < 1; i += 1) await new Promise((r) => setTimeout(r, 10));
    const clientSaw = h.clientGot().length;
    await h.server({ jsonrpc: '2.0', id: ownLists()[0]?.id, result: { tools: TOOLS.slice(0, 1), nextCursor: 'page-2' } });
    for (let i = 0; i < 50 && ownLists().length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
    const second = ownLists()[1];
    expect(second?.params.cursor).toBe('page-2');
    expect(second?.id).not.toBe(ownLists()[0]?.id);
    await h.server({ jsonrpc: '2.0', id: second?.id, result: { tools: TOOLS.slice(1) } });
    await calling;
    const got = h.clientGot().slice(clientSaw) as Answer[];
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: 9, error: { code: GATE_ERRORS.INVALID_ARGUMENTS } });
  });

  test('a long tools/call in many pieces is validated, forwarded byte for byte, and audited by its summary', async () => {
    const h = harness();
    await listTools(h);
    const before = h.toServer.length;
    const message = `漢${'m'.repeat(1_500_000)}é`;
    const line = Buffer.from(`${JSON.stringify(call(21, 'echo', { message }))}\n`);
    for (let at = 0; at < line.length; at += 65535) await h.clientRaw(line.subarray(at, at + 65535));
    expect(Buffer.concat(h.toServer.slice(before)).equals(line)).toBe(true);
    const bad = Buffer.from(`${JSON.stringify(call(22, 'echo', { message: 7, pad: 'p'.repeat(1_500_000) }))}\n`);
    for (let at = 0; at < bad.length; at += 65535) await h.clientRaw(bad.subarray(at, at + 65535));
    expect(Buffer.concat(h.toServer.slice(before)).equals(line)).toBe(true);
    expect((h.clientGot().at(-1) as Answer).error?.code).toBe(GATE_ERRORS.INVALID_ARGUMENTS);
    await h.server({ jsonrpc: '2.0', id: 21, result: { content: [] } });
    const record = h.records.find((r) => r.type === 'call' && r.id === 21) as { arguments: { message: string } };
    expect(record.arguments.message).toBe(`${message.slice(0, 200)}…[${message.length} chars]`);
  });

  describe('a long tools/call is decided from its skeleton', () => {
    const send = async (h: ReturnType<typeof harness>, line: Buffer): Promise<void> => {
      for (let at = 0; at < line.length; at += 65536) await h.clientRaw(line.subarray(at, at + 65536));
    };
    const lineOf = (message: unknown): Buffer => Buffer.from(`${JSON.stringify(message)}\n`);

    test('its long strings are never made: no JSON.parse sees the message, and it goes on byte for byte', async () => {
      const h = harness({ audit: { arguments: 'redacted' } });
      await listTools(h);
      const line = lineOf(call(31, 'echo', { message: 'q'.repeat(2_000_000) }));
      const parse = jest.spyOn(JSON, 'parse');
      try {
        const before = h.toServer.length;
        await send(h, line);
        expect(Buffer.concat(h.toServer.slice(before)).equals(line)).toBe(true);
        expect(parse.mock.calls.filter(([text]) => typeof text === 'string' && text.length > 100_000)).toHaveLength(0);
      } finally {
        parse.mockRestore();
      }
      await h.server({ jsonrpc: '2.0', id: 31, result: { content: [] } });
      const record = h.records.find((r) => r.type === 'call' && r.id === 31) as { arguments: { message: string }; bytesIn: number };
      expect(record.arguments.message).toBe(`${'q'.repeat(200)}…[2000000 chars]`);
      expect(record.bytesIn).toBe(line.length);
    });

    test('a denied tool with a long argument is refused and reaches nothing', async () => {
      const h = harness({ tools: { deny: ['write_*'] } });
      await listTools(h);
      const before = h.toServer.length;
      await send(h, lineOf(call(32, 'write_file', { path: '/x', content: 'c'.repeat(1_000_000) })));
      expect(h.toServer.length).toBe(before);
      expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.DENIED });
    });

    test('a schema that needs the whole string (enum) is decided by ajv on the parsed message', async () => {
      const big = 'e'.repeat(400_000);
      const h = harness();
      await listTools(h, 1, [...TOOLS, { name: 'pick', inputSchema: { type: 'object', properties: { choice: { enum: [big, 'small'] } } } }]);
      const before = h.toServer.length;
      const ok = lineOf(call(33, 'pick', { choice: big }));
      await send(h, ok);
      expect(Buffer.concat(h.toServer.slice(before)).equals(ok)).toBe(true);
      await send(h, lineOf(call(34, 'pick', { choice: `${big}!` })));
      expect((h.clientGot().at(-1) as Answer).error?.message).toContain('must be equal to one of the allowed values');
      expect(Buffer.concat(h.toServer.slice(before)).equals(ok)).toBe(true);
    });

    test('audit modes that need the whole value (full, a sensitive key) read it whole, and nothing is counted twice', async () => {
      const secret = 's3cr3t-value-0123456789';
      const h = harness({ audit: { arguments: 'full' }, limits: { maxConcurrent: 1 } }, { secrets: { TOKEN: secret } });
      await listTools(h);
      const message = `${'f'.repeat(300_000)}${secret}`;
      await send(h, lineOf(call(35, 'echo', { message })));
      await h.server({ jsonrpc: '2.0', id: 35, result: { content: [] } });
      const record = h.records.find((r) => r.type === 'call' && r.id === 35) as { arguments: { message: string } };
      expect(record.arguments.message).toBe(`${'f'.repeat(300_000)}[masked:TOKEN]`);
      // maxConcurrent 1: had the first reading admitted the call too, this one would be refused.
      const before = h.toServer.length;
      await send(h, lineOf(call(36, 'echo', { message: 'g'.repeat(300_000) })));
      expect(h.toServer.length).toBeGreaterThan(before);

      const r = harness({ audit: { arguments: 'redacted' } });
      await listTools(r, 1, [...TOOLS, { name: 'login', inputSchema: { type: 'object', properties: { token: { type: 'string' } } } }]);
      const token = 't'.repeat(300_000);
      await send(r, lineOf(call(37, 'login', { token })));
      await r.server({ jsonrpc: '2.0', id: 37, result: { content: [] } });
      const hashed = r.records.find((x) => x.type === 'call' && x.id === 37) as { arguments: { token: string } };
      expect(hashed.arguments.token).toMatch(/^sha256:[0-9a-f]{12}$/);
    });
  });
});
