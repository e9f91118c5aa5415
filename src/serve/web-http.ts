/**
 * node:http in front of the SDK's Web-standard Streamable HTTP transport. The SDK's Node
 * transport is that same transport behind @hono/node-server's request listener, built afresh for
 * every request; serve needs less of it: the request's body is already parsed (serve reads it to
 * authorize and to send requests ahead), and the Response's body only has to reach the socket.
 * Written here for a measured reason: every echo paid for hono's general conversion in CPU, and
 * on a busy machine serve's CPU is latency (docs/serve.md, "Figures"). The transport makes every
 * protocol decision (checks, status codes, session ids, SSE framing) for what comes this way; a
 * POST of one plain request within a session takes serve's own path instead (./sse-answer.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a POST's SSE response holds its headers back, waiting for its first event. */
export const HEADER_HOLD_MS = 50;

/**
 * The Node request as the Web Request the transport reads: its method, URL and headers (as they
 * came, repeated ones included). The transport reads a body only when it is not given the parsed
 * one, and serve always gives it for a POST (GET and DELETE have none), so there is none here:
 * undici's Request constructor (URL parsing, an AbortSignal, body handling) cost about as much
 * CPU per echo as the rest of this file, for fields the transport never reads.
 */
export function webRequestOf(req: IncomingMessage): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  // The transport reads the URL for the requestInfo it gives onmessage, which serve ignores; its
  // own Host checks are off (serve's are in ./listen.ts), so the origin does not matter.
  const bodiless: Pick<Request, 'method' | 'url' | 'headers' | 'body'> = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'http://serve.invalid').href, headers, body: null };
  return bodiless as Request;
}

/**
 * Writes the transport's Response. An event stream goes out chunk by chunk as the transport
 * enqueues them; its headers wait up to `holdMs` for the first chunk so that a quick answer
 * leaves in one write with them (and with the stream's end when it is the last), one wakeup of
 * the client; a slower one gets its headers at `holdMs` (0: at once, for GET streams). Any
 * other body is read whole and sent with its length. Resolves once the response has ended.
 */
export async function sendWebResponse(response: Response, res: ServerResponse, holdMs: number): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = response.body;
  if (body === null || !(headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const bytes = body === null ? undefined : Buffer.from(await response.arrayBuffer());
    if (bytes) headers['content-length'] = String(bytes.length);
    res.writeHead(response.status, headers).end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  let written = false;
  const flush = (): void => {
    if (!written && res.writable) res.flushHeaders();
    written = true;
  };
  const timer = holdMs > 0 ? setTimeout(flush, holdMs) : undefined;
  if (holdMs <= 0) flush();
  const reader = body.getReader();
  // The client went away: the transport's stream is cancelled, which ends its registration.
  const cancel = (): void => void reader.cancel().catch(() => undefined);
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      written = true;
      if (!res.write(value)) await drained(res);
    }
    if (!res.destroyed) res.end();
  } finally {
    clearTimeout(timer);
    res.off('close', cancel);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
