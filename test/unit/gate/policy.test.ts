import { GATE_ERRORS } from '../../../src/gate/jsonrpc.js';
import { harness, listTools, TOOLS } from './harness.js';

type Answer = { id?: unknown; error?: { code: number; message: string; data: { rule: string } }; result?: Record<string, unknown> };

describe('tool policy', () => {
  test('denied tools vanish from tools/list; deny wins over allow', async () => {
    const h = harness({ tools: { allow: ['read_*', 'write_*', 'echo'], deny: ['write_*'] } });
    expect(await listTools(h)).toEqual(['echo', 'read_text_file']);
  });

  test('a list nothing filters is forwarded byte for byte', async () => {
    const h = harness({ tools: { deny: ['nothing-matches'] } });
    await h.client({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const answer = Buffer.from(`{"result":{"tools":${JSON.stringify(TOOLS)}},  "jsonrpc":"2.0","id":1}\n`);
    await h.serverRaw(answer);
    expect(Buffer.concat(h.toClient).equals(answer)).toBe(true);
  });

  test('a call to a denied tool is refused naming the rule, and the server never sees it', async () => {
    const h = harness({ tools: { deny: ['write_*', 'delete_*'] } });
    await listTools(h);
    const before = h.serverGot().length;
    await h.client({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'write_file', arguments: { path: '/x', content: 'y' } } });
    expect(h.serverGot().length).toBe(before);
    const answer = h.clientGot().at(-1) as Answer;
    expect(answer.id).toBe(2);
    expect(answer.error?.code).toBe(GATE_ERRORS.DENIED);
    expect(answer.error?.message).toContain('tools.deny "write_*"');
    expect(answer.error?.data.rule).toBe('tools.deny "write_*"');
    expect(h.records.at(-1)).toMatchObject({ type: 'call', method: 'tools/call', tool: 'write_file', decision: 'deny', rule: 'tools.deny "write_*"', isError: true });
  });

  test('outside an allow list is refused too', async () => {
    const h = harness({ tools: { allow: ['echo'] } });
    await listTools(h);
    await h.client({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get-env', arguments: {} } });
    expect((h.clientGot().at(-1) as Answer).error?.data.rule).toBe('tools.allow (no glob matches)');
  });

  test('after notifications/tools/list_changed the next list is filtered as well', async () => {
    const h = harness({ tools: { deny: ['get-*'] } });
    await listTools(h, 1);
    await h.server({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    expect((h.clientGot().at(-1) as { method: string }).method).toBe('notifications/tools/list_changed');
    const names = await listTools(h, 2, [...TOOLS, { name: 'get-secret', inputSchema: { type: 'object' } }]);
    expect(names).toEqual(['echo', 'read_text_file', 'write_file', 'delete_file']);
  });

  test('a call without a valid id is dropped, whatever a lenient server would make of it', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    await listTools(h);
    const sent = h.serverGot().length;
    await h.client({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'write_file', arguments: {} } });
    await h.client({ jsonrpc: '2.0', id: null, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } });
    expect(h.serverGot()).toHaveLength(sent);
    expect(h.records.filter((r) => r.event === 'malformed')).toHaveLength(2);
  });

  test('an allowed call is forwarded as it came', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    await listTools(h);
    const call = '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}\n';
    await h.clientRaw(call);
    expect(Buffer.concat(h.toServer).toString().endsWith(call)).toBe(true);
  });

  test('in a batch, the denied call is answered by the gate and the rest goes to the server', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    await listTools(h);
    await h.client([
      { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'write_file', arguments: { path: 'a', content: 'b' } } },
      { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } },
    ]);
    const sent = h.serverGot().at(-1) as Array<{ id: number }>;
    expect(sent.map((m) => m.id)).toEqual([11]);
    const answered = h.clientGot().at(-1) as Answer[];
    expect(answered.map((m) => [m.id, m.error?.code])).toEqual([[10, GATE_ERRORS.DENIED]]);
  });
});

describe('resource and prompt policy', () => {
  test('resources/list and templates are filtered by URI glob; a read of a denied URI is refused', async () => {
    const h = harness({ resources: { deny: ['file:///secret/**', 'demo://template/{id}'] } });
    await h.client({ jsonrpc: '2.0', id: 1, method: 'resources/list' });
    await h.server({ jsonrpc: '2.0', id: 1, result: { resources: [{ uri: 'file:///secret/a/b.txt', name: 'b' }, { uri: 'file:///work/c.txt', name: 'c' }] } });
    expect((h.clientGot().at(-1) as Answer).result?.resources).toEqual([{ uri: 'file:///work/c.txt', name: 'c' }]);
    await h.client({ jsonrpc: '2.0', id: 2, method: 'resources/templates/list' });
    await h.server({ jsonrpc: '2.0', id: 2, result: { resourceTemplates: [{ uriTemplate: 'demo://template/{id}', name: 't' }, { uriTemplate: 'demo://ok/{id}', name: 'u' }] } });
    expect((h.clientGot().at(-1) as Answer).result?.resourceTemplates).toEqual([{ uriTemplate: 'demo://ok/{id}', name: 'u' }]);
    const sent = h.serverGot().length;
    await h.client({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'file:///secret/x' } });
    await h.client({ jsonrpc: '2.0', id: 4, method: 'resources/subscribe', params: { uri: 'file:///secret/x' } });
    expect(h.serverGot().length).toBe(sent);
    expect(h.clientGot().slice(-2).map((m) => (m as Answer).error?.data.rule)).toEqual(['resources.deny "file:///secret/**"', 'resources.deny "file:///secret/**"']);
    await h.client({ jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'file:///work/c.txt' } });
    expect(h.serverGot().length).toBe(sent + 1);
  });

  test('prompts/list is filtered and prompts/get of a denied prompt refused', async () => {
    const h = harness({ prompts: { allow: ['simple-*'] } });
    await h.client({ jsonrpc: '2.0', id: 1, method: 'prompts/list' });
    await h.server({ jsonrpc: '2.0', id: 1, result: { prompts: [{ name: 'simple-prompt' }, { name: 'complex-prompt' }] } });
    expect((h.clientGot().at(-1) as Answer).result?.prompts).toEqual([{ name: 'simple-prompt' }]);
    await h.client({ jsonrpc: '2.0', id: 2, method: 'prompts/get', params: { name: 'complex-prompt' } });
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.DENIED, data: { rule: 'prompts.allow (no glob matches)' } });
    await h.client({ jsonrpc: '2.0', id: 3, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'complex-prompt' }, argument: { name: 'a', value: '' } } });
    expect(h.clientGot().at(-1)).toMatchObject({ id: 3, error: { code: GATE_ERRORS.DENIED } });
    const sent = h.serverGot().length;
    await h.client({ jsonrpc: '2.0', id: 4, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'simple-prompt' }, argument: { name: 'a', value: '' } } });
    expect(h.serverGot()).toHaveLength(sent + 1);
  });
});
