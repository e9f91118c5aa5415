/**
 * SseAnswer (src/serve/sse-answer.ts), serve's own SSE answer of a one-request POST: the
 * transport's headers and framing, a quick answer in one socket write with its headers and the
 * stream's end, progress events before it, keep-alive comments on a slow one, and nothing
 * written once the client has gone; isPlainRequest accepts only what the SDK's request schema
 * accepts.
 */
import { request, type IncomingMessage } from 'node:http';
import { isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { isPlainRequest, SseAnswer, sseEvent } from '../../../src/serve/sse-answer.js';
import { closeServers, countWrites, get, getAndLeave, serveWith } from './local-http.js';

afterEach(closeServers);

const ANSWER = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'hi\nthere' }] } };

it('frames a message as the transport does: one line of JSON, no event id', () => {
  expect(sseEvent(ANSWER)).toBe(`event: message\ndata: ${JSON.stringify(ANSWER)}\n\n`);
  expect(sseEvent(ANSWER).split('\n')).toHaveLength(4);
});

it('a quick answer: the transport headers, the event and the end of the stream in one write', async () => {
  let count = { writes: 0 };
  const url = await serveWith((_req, res) => {
    count = countWrites(res);
    const answer = new SseAnswer(res, 'session-1', 1_000);
    setImmediate(() => answer.finish(ANSWER));
  });
  const { body, res } = await get(url);
  expect(res.statusCode).toBe(200);
  expect(res.headers).toMatchObject({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', 'mcp-session-id': 'session-1' });
  expect(body).toBe(sseEvent(ANSWER));
  expect(count.writes).toBe(1);
});

it('progress goes out before the answer, on the same stream', async () => {
  const progress = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } };
  const url = await serveWith((_req, res) => {
    const answer = new SseAnswer(res, 's', 1_000);
    answer.event(progress);
    setImmediate(() => answer.finish(ANSWER));
  });
  expect((await get(url)).body).toBe(sseEvent(progress) + sseEvent(ANSWER));
});

it('a slow answer: headers after the hold, then keep-alive comments; close() ends it without an event', async () => {
  let answer: SseAnswer | undefined;
  const url = await serveWith((_req, res) => {
    answer = new SseAnswer(res, 's', 0, 5);
  });
  const got = new Promise<{ body: string; res: IncomingMessage }>((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes(': keepalive\n\n')) answer?.close();
      });
      res.on('end', () => resolve({ body, res }));
    })
      .on('error', reject)
      .end();
  });
  const { body, res } = await got;
  expect(res.headers['content-type']).toBe('text/event-stream');
  expect(body).toMatch(/^(: keepalive\n\n)+$/);
  expect(answer?.live).toBe(false);
});

it('a client that went away: the answer is not written and nothing throws', async () => {
  let answer: SseAnswer | undefined;
  let closed: Promise<void> | undefined;
  const url = await serveWith((_req, res) => {
    answer = new SseAnswer(res, 's', 0);
    closed = new Promise((resolve) => res.once('close', () => resolve()));
  });
  await getAndLeave(url);
  await closed;
  expect(answer?.live).toBe(false);
  expect(() => answer?.finish(ANSWER)).not.toThrow();
  expect(() => answer?.event(ANSWER)).not.toThrow();
});

describe('isPlainRequest: a subset of the SDK request schema', () => {
  const plain = [
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } },
    { jsonrpc: '2.0', id: 'a-1', method: 'tools/list' },
    { jsonrpc: '2.0', id: 0, method: 'ping', params: {} },
    { jsonrpc: '2.0', id: -3, method: 'tools/call', params: { name: 'hang', _meta: { progressToken: 'p', other: 1 } } },
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { _meta: { progressToken: 7 } } },
  ];
  const notPlain = [
    null,
    'text',
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '1.0', id: 1, method: 'ping' },
    { jsonrpc: '2.0', id: 1.5, method: 'ping' },
    { jsonrpc: '2.0', id: null, method: 'ping' },
    { jsonrpc: '2.0', id: 2 ** 60, method: 'ping' },
    { jsonrpc: '2.0', id: 1, method: 7 },
    { jsonrpc: '2.0', id: 1, method: 'ping', extra: true },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: [1] },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: null },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: undefined },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: 'x' } },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { progressToken: 1.5 } } },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { progressToken: null } } },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } } },
    JSON.parse('{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{}}') as unknown,
  ];

  it('takes the common requests, all of which the SDK takes', () => {
    for (const value of plain) {
      expect([value, isPlainRequest(value)]).toEqual([value, true]);
      expect(isJSONRPCRequest(value)).toBe(true);
    }
  });

  it('leaves everything else to the transport, and never takes what the SDK would refuse', () => {
    for (const value of notPlain) expect([value, isPlainRequest(value)]).toEqual([value, false]);
    for (const value of [...plain, ...notPlain]) if (!isJSONRPCRequest(value)) expect(isPlainRequest(value)).toBe(false);
  });
});
