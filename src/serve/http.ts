/** Small node:http answers serve gives itself (the transport gives the rest). */
import { ServerResponse, type IncomingMessage } from 'node:http';

/** A JSON body with its status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A JSON-RPC error as the HTTP answer (id null: it answers the request, not a message). */
export function sendRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string };

/** Reads and parses a JSON body of at most `maxBytes`. */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      resolve({ ok: false, status: 413, message: `request body over ${maxBytes} bytes` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) over = true;
      else chunks.push(chunk);
    });
    req.on('error', () => resolve({ ok: false, status: 400, message: 'request body could not be read' }));
    req.on('end', () => {
      if (over) return resolve({ ok: false, status: 413, message: `request body over ${maxBytes} bytes` });
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch {
        resolve({ ok: false, status: 400, message: 'Parse error: Invalid JSON' });
      }
    });
  });
}

/** One header's value (the first, if repeated). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long a POST's SSE response may hold its headers back, waiting for its first event.
 * Without it the transport (through @hono/node-server) flushes the headers as soon as it has the
 * stream, before the answer exists: a socket write and a client wakeup of their own, then a
 * second write for the event and the stream's end. An answer that comes within this time goes
 * out with its headers in one write; a slower one gets its headers at this time, as before
 * (and the transport's keep-alive comments follow). BENCHMARKS.md, "serve", has the effect.
 */
export const HEADER_HOLD_MS = 50;

/** Node's own mark that the header block has gone to the socket (`headersSent` is true once `writeHead` stored it). */
interface SentMark {
  _headerSent?: boolean;
}

/** Makes `res.flushHeaders()` wait up to `holdMs` for the first body write, which carries the headers anyway. */
export function holdHeaders(res: ServerResponse, holdMs: number = HEADER_HOLD_MS): void {
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if ((res as SentMark)._headerSent !== true && res.writable) ServerResponse.prototype.flushHeaders.call(res);
  };
  res.flushHeaders = (): void => {
    if (timer === undefined && (res as SentMark)._headerSent !== true) timer = setTimeout(flush, holdMs);
  };
  res.once('close', () => clearTimeout(timer));
}
