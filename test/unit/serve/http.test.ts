/**
 * sendWebResponse and webRequestOf (src/serve/web-http.ts): a quick SSE answer leaves with its
 * headers and the stream's end in one socket write, a slow one gets its headers after the hold,
 * a GET stream's at once; other bodies go whole with their length; a client that goes away
 * cancels the stream; the Web request carries the headers as they came.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebResponse, webRequestOf } from '../../../src/serve/web-http.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serveWith(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp?x=1`;
}

/** The response's arrival (headers) and its body, with when each came. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ headersAt: number; endAt: number; body: string; res: IncomingMessage }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const headersAt = Date.now() - start;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ headersAt, endAt: Date.now() - start, body, res }));
    })
      .on('error', reject)
      .end();
  });
}

/** Counts what the socket hands the OS: one _write or _writev per write system call. */
function countWrites(res: ServerResponse): { writes: number } {
  const count = { writes: 0 };
  const socket = res.socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  for (const key of ['_write', '_writev'] as const) {
    const original = socket[key].bind(socket);
    socket[key] = (...args: unknown[]): void => {
      count.writes += 1;
      original(...args);
    };
  }
  return count;
}

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
  await new Promise<void>((resolve, reject) => {
    const req = request(url, (res) => {
      res.destroy();
      req.destroy();
      resolve();
    }).on('error', reject);
    req.end();
  });
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
