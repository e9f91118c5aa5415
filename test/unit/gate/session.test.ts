/** Roots, limits, over-size messages, pinning and the audit records of a gate session. */
import { GATE_ERRORS } from '../../../src/gate/jsonrpc.js';
import { harness, INIT, listTools, pinningOf, TOOLS } from './harness.js';

type Answer = { id?: unknown; error?: { code: number; message: string; data: { rule: string } }; result?: Record<string, unknown> };
const call = (id: number, name: string, args: unknown): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const MOUNTS = [
  { target: '/workspace', readOnly: true },
  { target: '/data/out dir', readOnly: false },
];

describe('roots', () => {
  test('mounts: the server is told the client has roots, roots/list is answered from the mounts, the client never asked', async () => {
    const h = harness({ roots: 'mounts' }, { mounts: MOUNTS });
    await h.client(INIT);
    expect((h.serverGot()[0] as { params: { capabilities: Record<string, unknown> } }).params.capabilities).toEqual({ roots: {} });
    await h.server({ jsonrpc: '2.0', id: 'r1', method: 'roots/list' });
    expect(h.clientGot()).toHaveLength(0);
    expect(h.serverGot().at(-1)).toEqual({
      jsonrpc: '2.0',
      id: 'r1',
      result: { roots: [{ uri: 'file:///workspace', name: '/workspace (read-only)' }, { uri: 'file:///data/out%20dir', name: '/data/out dir' }] },
    });
    const sent = h.serverGot().length;
    await h.client({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    expect(h.serverGot()).toHaveLength(sent);
  });

  test('the client of initialize is handed on for the session record', async () => {
    const seen: unknown[] = [];
    const h = harness({}, { onInitialize: (client) => seen.push(client) });
    await h.client(INIT);
    expect(seen).toEqual([{ name: 't', version: '1', protocolVersion: '2025-06-18' }]);
  });

  test('onToolCall: a forwarded tools/call starts and ends (answered or cancelled); a refused one is never started', async () => {
    const seen: string[] = [];
    const h = harness({}, { onToolCall: (c) => seen.push(`${c.phase} ${c.id} ${c.tool}`) });
    await listTools(h);
    await h.client(call(7, 'echo', { message: 'a' }));
    expect(seen).toEqual(['start 7 echo']);
    await h.server({ jsonrpc: '2.0', id: 7, result: { content: [] } });
    await h.client(call(8, 'echo', { message: 'b' }));
    await h.client({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 8 } });
    await h.client({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: {} });
    expect((h.clientGot().at(-1) as Answer).error?.code).toBe(GATE_ERRORS.INVALID_ARGUMENTS);
    expect(seen).toEqual(['start 7 echo', 'end 7 echo', 'start 8 echo', 'end 8 echo']);
  });

  test('none: an empty list; client: passed through both ways', async () => {
    const none = harness({ roots: 'none' }, { mounts: MOUNTS });
    await none.server({ jsonrpc: '2.0', id: 2, method: 'roots/list' });
    expect(none.serverGot()).toEqual([{ jsonrpc: '2.0', id: 2, result: { roots: [] } }]);
    const client = harness({ roots: 'client' }, { mounts: MOUNTS });
    await client.client(INIT);
    expect(Buffer.concat(client.toServer).toString()).toBe(`${JSON.stringify(INIT)}\n`);
    await client.server({ jsonrpc: '2.0', id: 2, method: 'roots/list' });
    expect(client.clientGot()).toEqual([{ jsonrpc: '2.0', id: 2, method: 'roots/list' }]);
    await client.client({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    expect(client.serverGot()).toHaveLength(2);
  });
});

describe('limits', () => {
  test('callsPerMinute: a sliding window', async () => {
    const h = harness({ limits: { callsPerMinute: 2 } });
    await listTools(h);
    h.setNow(0);
    await h.client(call(1, 'echo', { message: 'a' }));
    h.setNow(30_000);
    await h.client(call(2, 'echo', { message: 'b' }));
    await h.client(call(3, 'echo', { message: 'c' }));
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.RATE_LIMITED, data: { rule: 'limits.callsPerMinute' } });
    h.setNow(60_001);
    const sent = h.serverGot().length;
    await h.client(call(4, 'echo', { message: 'd' }));
    expect(h.serverGot()).toHaveLength(sent + 1);
  });

  test('maxConcurrent: in-flight calls count until answered or cancelled', async () => {
    const h = harness({ limits: { maxConcurrent: 1 } });
    await listTools(h);
    await h.client(call(1, 'echo', { message: 'a' }));
    await h.client(call(2, 'echo', { message: 'b' }));
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.TOO_MANY_CONCURRENT });
    await h.server({ jsonrpc: '2.0', id: 1, result: { content: [] } });
    await h.client(call(3, 'echo', { message: 'c' }));
    await h.client({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } });
    const sent = h.serverGot().length;
    await h.client(call(4, 'echo', { message: 'd' }));
    expect(h.serverGot()).toHaveLength(sent + 1);
  });
});

describe('over-size messages', () => {
  const big = (id: number | string, size: number, request: boolean): string =>
    request ? `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x'.repeat(size) } } })}\n` : `${JSON.stringify({ result: { content: [{ type: 'text', text: 'y'.repeat(size) }] }, jsonrpc: '2.0', id })}\n`;

  test('from the client: refused with an error for its id, the server never sees it, the next message is fine', async () => {
    const h = harness({ limits: { maxMessageBytes: '64k' } });
    const text = big(5, 200_000, true);
    for (let at = 0; at < text.length; at += 16384) await h.clientRaw(text.slice(at, at + 16384));
    await h.client({ jsonrpc: '2.0', id: 6, method: 'ping' });
    expect(h.serverGot()).toEqual([{ jsonrpc: '2.0', id: 6, method: 'ping' }]);
    expect(h.clientGot()[0]).toMatchObject({ id: 5, error: { code: GATE_ERRORS.TOO_LARGE, data: { rule: 'limits.maxMessageBytes' } } });
    expect(h.records.find((r) => r.event === 'oversize')).toMatchObject({ from: 'client', id: 5 });
  });

  test('from the server: the pending request is answered with an error (id read from the end)', async () => {
    const h = harness({ limits: { maxMessageBytes: '64k' } });
    await listTools(h);
    await h.client(call(9, 'echo', { message: 'a' }));
    await h.serverRaw(big(9, 100_000, false));
    expect(h.clientGot().at(-1)).toMatchObject({ id: 9, error: { code: GATE_ERRORS.TOO_LARGE } });
    expect(h.records.find((r) => r.type === 'call' && r.id === 9)).toMatchObject({ decision: 'deny', rule: 'limits.maxMessageBytes' });
  });

  test('without a readable id: a security event only', async () => {
    const h = harness({ limits: { maxMessageBytes: 1000 } });
    const line = `{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"${'z'.repeat(5000)}"}}\n`;
    await h.serverRaw(line);
    expect(h.toClient).toHaveLength(0);
    expect(h.records).toEqual([{ type: 'security', event: 'oversize', from: 'server', bytes: line.length }]);
  });
});

describe('pinning', () => {
  const drift = pinningOf((tools) => ({ added: tools.some((t) => t.name === 'get-env') ? ['get-env'] : [], changed: ['echo'] }));

  test('block: drifted tools hidden and uncallable, one security event each', async () => {
    const h = harness({ tools: { onDrift: 'block' } }, { pinning: drift });
    expect(await listTools(h, 1)).toEqual(['read_text_file', 'write_file', 'delete_file']);
    await listTools(h, 2);
    await h.client(call(3, 'echo', { message: 'x' }));
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.DRIFTED, data: { rule: 'tools.onDrift' } });
    const events = h.records.filter((r) => r.event === 'tool-drift');
    expect(events).toEqual([
      { type: 'security', event: 'tool-drift', tool: 'get-env', drift: 'added', action: 'blocked' },
      { type: 'security', event: 'tool-drift', tool: 'echo', drift: 'changed', action: 'blocked' },
    ]);
  });

  test('warn: event only; off: the lock is not even asked', async () => {
    const warn = harness({ tools: { onDrift: 'warn' } }, { pinning: drift });
    expect(await listTools(warn)).toEqual(TOOLS.map((t) => t.name));
    expect(warn.records.filter((r) => r.event === 'tool-drift').map((r) => r.action)).toEqual(['warned', 'warned']);
    let asked = 0;
    const off = harness({ tools: { onDrift: 'off' } }, { pinning: pinningOf(() => ((asked += 1), { added: ['echo'], changed: [] })) });
    expect(await listTools(off)).toEqual(TOOLS.map((t) => t.name));
    expect(asked).toBe(0);
  });
});

describe('audit records', () => {
  test('one per request/response pair: method, id, tool, redacted arguments, duration, bytes, decision', async () => {
    const h = harness({ audit: { arguments: 'redacted' } }, { secrets: { API_TOKEN: 'the-declared-secret-value' } });
    await listTools(h);
    h.setNow(2_000_000);
    const request = call(4, 'write_file', { path: 'with the-declared-secret-value inside', content: 'c', password: 'hunter22' });
    await h.client(request);
    h.setNow(2_000_125);
    const response = { jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text', text: 'ok' }], isError: true } };
    await h.server(response);
    const record = h.records.find((r) => r.type === 'call' && r.id === 4);
    expect(record).toEqual({
      type: 'call',
      method: 'tools/call',
      id: 4,
      tool: 'write_file',
      arguments: { path: 'with [masked:API_TOKEN] inside', content: 'c', password: expect.stringMatching(/^sha256:[0-9a-f]{12}$/) },
      durationMs: 125,
      isError: true,
      bytesIn: JSON.stringify(request).length + 1,
      bytesOut: JSON.stringify(response).length + 1,
      decision: 'allow',
    });
    expect(JSON.stringify(h.records)).not.toContain('hunter22');
  });

  test("the gate's own answer has no duration, however long its write takes", async () => {
    let now = 5_000;
    const h = harness({ tools: { deny: ['write_file'] } }, { clock: () => now });
    // Each write to the client costs 7 ms on this clock: the record is booked after the write.
    h.gate.toClient.on('data', () => (now += 7));
    await listTools(h);
    await h.client(call(9, 'write_file', { path: '/x', content: 'c' }));
    expect((h.clientGot().at(-1) as Answer).error).toMatchObject({ code: GATE_ERRORS.DENIED });
    expect(now).toBeGreaterThan(5_000);
    expect(h.records.find((r) => r.type === 'call' && r.id === 9)).toMatchObject({ decision: 'deny', durationMs: 0 });
  });

  test('requests still open at close are recorded as unanswered', async () => {
    const h = harness();
    await h.client({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    await h.gate.close();
    expect(h.records.at(-1)).toMatchObject({ type: 'call', id: 'p', method: 'ping', rule: 'unanswered', isError: true });
  });
});
