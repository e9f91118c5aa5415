/** holdHeaders: an SSE answer's headers wait for its first event (one write), but not for long. */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { holdHeaders } from '../../../src/serve/http.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server whose handler gets each response after holdHeaders; resolves to its URL. */
async function serveWith(handler: (res: ServerResponse) => void, holdMs: number): Promise<string> {
  server = createServer((_req, res) => {
    holdHeaders(res, holdMs);
    handler(res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** The response's arrival (headers) and its body, with when each came. */
function get(url: string): Promise<{ headersAt: number; endAt: number; body: string; res: IncomingMessage }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    request(url, (res) => {
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

/** Answers with an SSE response: headers flushed at once, one event and the end after `eventMs`; counts the socket's writes. */
async function countWrites(holdMs: number, eventMs: number): Promise<{ writes: number; body: string; type: string | undefined }> {
  let writes = 0;
  const url = await serveWith((res) => {
    // What the stream's machinery hands the OS: one _write or _writev per write system call.
    const socket = res.socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    for (const key of ['_write', '_writev'] as const) {
      const original = socket[key].bind(socket);
      socket[key] = (...args: unknown[]): void => {
        writes += 1;
        original(...args);
      };
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    setTimeout(() => {
      res.write('data: {"id":1}\n\n');
      res.end();
    }, eventMs);
  }, holdMs);
  const { body, res } = await get(url);
  return { writes, body, type: res.headers['content-type'] };
}

it('flushHeaders() holds the headers back: headers, the first event and the end go in one write', async () => {
  expect(await countWrites(1_000, 5)).toEqual({ writes: 1, body: 'data: {"id":1}\n\n', type: 'text/event-stream' });
});

it('an answer slower than the hold: the headers first, then the event and the end', async () => {
  expect(await countWrites(1, 50)).toEqual({ writes: 2, body: 'data: {"id":1}\n\n', type: 'text/event-stream' });
});

it('a slow answer gets its headers after the hold time, long before its event', async () => {
  const url = await serveWith((res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    setTimeout(() => res.end('data: late\n\n'), 600);
  }, 20);
  const { headersAt, endAt, body } = await get(url);
  expect(body).toBe('data: late\n\n');
  expect(headersAt).toBeLessThan(400);
  expect(endAt).toBeGreaterThanOrEqual(590);
});
