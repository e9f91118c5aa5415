/**
 * A server line nothing in it could change (no secret possible, no list to filter, no request
 * of the gate's own, no roots/list) is forwarded before it is parsed, and booked after: the same
 * bytes out, the same records, in the same order. Lines that could change still take the full
 * path.
 */
import { PendingCalls } from '../../../src/gate/core.js';
import { harness, listTools } from './harness.js';

const call = (id: number, message = `ping ${id}`): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } });
const answer = (id: number, extra: Record<string, unknown> = {}): unknown => ({ result: { content: [{ type: 'text', text: `Echo: ping ${id}` }], ...extra }, jsonrpc: '2.0', id });

describe('a server line forwarded unread', () => {
  test('the answer goes out byte for byte and its call record is complete, made after the write', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    await listTools(h);
    const seen: number[] = [];
    const base = h.records.length;
    await h.client(call(7));
    const before = h.toClient.length;
    const bytes = `${JSON.stringify(answer(7))}\n`;
    const push = h.records.push.bind(h.records);
    h.records.push = (...items) => {
      seen.push(h.toClient.length);
      return push(...items);
    };
    h.setNow(1_000_250);
    await h.serverRaw(bytes);
    expect(Buffer.concat(h.toClient.slice(before)).toString('utf8')).toBe(bytes);
    expect(h.records.slice(base)).toEqual([
      { type: 'call', method: 'tools/call', id: 7, durationMs: 250, isError: false, bytesIn: Buffer.byteLength(JSON.stringify(call(7))) + 1, bytesOut: Buffer.byteLength(bytes), decision: 'allow', tool: 'echo', arguments: { message: 'ping 7' } },
    ]);
    // The record was made once the answer was out.
    expect(seen[0]).toBe(before + 1);
  });

  test('an error answer and a batch of answers are booked as before', async () => {
    const h = harness();
    await listTools(h);
    await h.client(call(1));
    await h.client(call(2));
    await h.client(call(3));
    await h.server(answer(1, { isError: true }));
    await h.server([answer(2), { jsonrpc: '2.0', id: 3, error: { code: -32000, message: 'no' } }]);
    const calls = h.records.filter((r) => r.type === 'call' && r.method === 'tools/call');
    expect(calls.map((r) => [r.id, r.isError])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
  });

  test('while a list request is open, its answer is still filtered, even after other answers', async () => {
    const h = harness({ tools: { deny: ['write_*'] } });
    await listTools(h);
    await h.client(call(5));
    await h.client({ jsonrpc: '2.0', id: 'list-2', method: 'tools/list', params: {} });
    await h.server(answer(5));
    await h.server({ jsonrpc: '2.0', id: 'list-2', result: { tools: [{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'write_file', inputSchema: { type: 'object' } }] } });
    const last = h.clientGot().at(-1) as { result: { tools: Array<{ name: string }> } };
    expect(last.result.tools.map((t) => t.name)).toEqual(['echo']);
  });

  test('a server roots/list request is still answered by the gate, a secret still masked', async () => {
    const h = harness({ roots: 'none' }, { secrets: { TOKEN: 'a-declared-secret-value' } });
    await listTools(h);
    await h.server({ jsonrpc: '2.0', id: 'r1', method: 'roots/list' });
    expect(h.serverGot().at(-1)).toEqual({ jsonrpc: '2.0', id: 'r1', result: { roots: [] } });
    await h.client(call(9));
    await h.server({ jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'key a-declared-secret-value' }] } });
    expect(JSON.stringify(h.clientGot().at(-1))).not.toContain('a-declared-secret-value');
  });
});

describe('PendingCalls', () => {
  const entry = (method: string): Parameters<PendingCalls['set']>[1] => ({ id: 1, method, cursor: false, started: 0, bytesIn: 0, admitted: false });

  test('counts the list requests among the open ones, whatever replaces or removes them', () => {
    const pending = new PendingCalls();
    pending.set('a', entry('tools/list'));
    pending.set('b', entry('prompts/list'));
    pending.set('c', entry('tools/call'));
    expect(pending.lists).toBe(2);
    pending.set('a', entry('tools/list'));
    expect(pending.lists).toBe(2);
    pending.set('a', entry('tools/call'));
    expect(pending.lists).toBe(1);
    pending.delete('b');
    pending.delete('b');
    expect(pending.lists).toBe(0);
    pending.set('d', entry('resources/templates/list'));
    pending.clear();
    expect(pending.lists).toBe(0);
    expect(pending.size).toBe(0);
  });
});
