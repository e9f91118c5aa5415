/**
 * sendWebResponse and webRequestOf (src/serve/web-http.ts): a quick SSE answer leaves with its
 * headers and the stream's end in one socket write, a slow one gets its headers after the hold,
 * a GET stream's at once; other bodies go whole with their length; a client that goes away
 * cancels the stream; the Web request carries the headers as they came.
 */
import { sendWebResponse, webRequestOf } from '../../../src/serve/web-http.js';
import { closeServers, countWrites, get, getAndLeave, serveWith } from './local-http.js';

afterEach(closeServers);

/** An SSE Response whose one event is enqueued after `eventMs`, the stream closed in the same turn (as the transport does for a last answer). */
function sseResponse(eventMs: number, onCancel?: () => void): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (eventMs < 0) return;
      setTimeout(() => {
        controller.enqueue(encoder.encode('event: message\ndata: {"id":1}\n\n'));
        controller.close();
      }, eventMs);
    },
    cancel: () => onCancel?.(),
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'mcp-session-id': 's-1' } });
}

async function sse(holdMs: number, eventMs: number): Promise<{ writes: number; body: string; type: string | undefined; session: string | undefined; headersAt: number }> {
  let count = { writes: 0 };
  const url = await serveWith((_req, res) => {
    count = countWrites(res);
    void sendWebResponse(sseResponse(eventMs), res, holdMs);
  });
  const { body, res, headersAt } = await get(url);
  return { writes: count.writes, body, type: res.headers['content-type'], session: res.headers['mcp-session-id'] as string | undefined, headersAt };
}

it('a quick answer: headers, the event and the end of the stream go in one write', async () => {
  const result = await sse(1_000, 5);
  expect(result).toMatchObject({ writes: 1, body: 'event: message\ndata: {"id":1}\n\n', type: 'text/event-stream', session: 's-1' });
});

it('an answer slower than the hold: the headers first, then the event and the end', async () => {
  expect(await sse(1, 60)).toMatchObject({ writes: 2, body: 'event: message\ndata: {"id":1}\n\n' });
});

it('a slow answer gets its headers after the hold time, long before its event; hold 0 sends them at once', async () => {
  const slow = await sse(20, 600);
  expect(slow.headersAt).toBeLessThan(400);
  const atOnce = await sse(0, 600);
  expect(atOnce.headersAt).toBeLessThan(400);
  expect(atOnce.body).toBe('event: message\ndata: {"id":1}\n\n');
});

it('a JSON body goes whole with its length, in one write; a null body ends at once', async () => {
  let count = { writes: 0 };
  const url = await serveWith((req, res) => {
    count = countWrites(res);
    const response = req.url?.startsWith('/none') ? new Response(null, { status: 202 }) : Response.json({ jsonrpc: '2.0', error: { code: -32000, message: 'no' }, id: null }, { status: 406 });
    void sendWebResponse(response, res, 50);
  });
  const json = await get(url);
  expect(json.res.statusCode).toBe(406);
  expect(json.res.headers['content-length']).toBe(String(Buffer.byteLength(json.body)));
  expect(JSON.parse(json.body)).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'no' }, id: null });
  expect(count.writes).toBe(1);
  const none = await get(url.replace('/mcp', '/none'));
  expect(none.res.statusCode).toBe(202);
  expect(none.body).toBe('');
});

it('a client that goes away cancels the stream, and the send resolves', async () => {
  let cancelled = false;
  let sent: Promise<void> | undefined;
  const url = await serveWith((_req, res) => {
    sent = sendWebResponse(
      sseResponse(-1, () => (cancelled = true)),
      res,
      0,
    );
  });
  await getAndLeave(url);
  const deadline = Date.now() + 2000;
  while (!cancelled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(cancelled).toBe(true);
  await expect(sent).resolves.toBeUndefined();
});

it('webRequestOf: method, path and every header as it came, repeated ones included', async () => {
  let seen: Request | undefined;
  const url = await serveWith((req, res) => {
    seen = webRequestOf(req);
    res.end();
  });
  await get(url, { 'mcp-session-id': 'abc', accept: 'application/json, text/event-stream' });
  expect(seen?.method).toBe('GET');
  expect(new URL(seen?.url ?? '').pathname).toBe('/mcp');
  expect(seen?.headers.get('mcp-session-id')).toBe('abc');
  expect(seen?.headers.get('accept')).toBe('application/json, text/event-stream');
  expect(seen?.body).toBeNull();
});
