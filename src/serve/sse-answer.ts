/**
 * A session's hot path: a POST of one JSON-RPC request (not initialize), answered with an SSE
 * stream of the events for that request (its progress, then its answer), written by serve on
 * node:http. Everything else (initialize, batches, notifications and responses from the client,
 * GET streams, DELETE, every refusal) stays with the SDK's transport.
 *
 * Written here for a measured reason (docs/serve.md, "Figures"): for such a POST the transport
 * builds Headers, a Web Request, a ReadableStream with its TextEncoder, a Response and runs zod
 * over the message several times, and the bridge reads the stream back chunk by chunk: that was
 * the largest part of the CPU serve spends per call beyond `run`'s, and on a busy machine serve's
 * CPU is latency. The bytes are the transport's: the same status, headers, `event: message`
 * framing without event ids (serve keeps no event store, so nothing is resumable) and the same
 * keep-alive comments; which POSTs take this path is decided with the transport's own predicates
 * (see server.ts, `answerHere`).
 */
import type { ServerResponse } from 'node:http';
import { DEFAULT_SSE_KEEP_ALIVE_MS } from '@modelcontextprotocol/sdk/server/sseKeepAlive.js';
import { RELATED_TASK_META_KEY, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { isObject } from '../gate/jsonrpc.js';

/** The transport's headers for a POST's SSE stream. */
const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * A JSON-RPC request of the plainest shape, one the SDK's request schema certainly accepts: its
 * four keys only, an id (and a progress token, if any) that is a string or a safe integer,
 * `params` and `_meta` objects, no task metadata. What this refuses may still be a request: it
 * goes to the transport, whose schema decides. By hand because zod's parse of it was the largest
 * single item left on this path.
 */
export function isPlainRequest(value: unknown): value is JSONRPCRequest {
  if (!isObject(value) || value.jsonrpc !== '2.0' || typeof value.method !== 'string' || !isIdValue(value.id)) return false;
  for (const key in value) if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return false;
  const params = value.params;
  if (params === undefined) return !('params' in value);
  if (!isObject(params)) return false;
  const meta = params._meta;
  if (meta === undefined) return !('_meta' in params);
  if (!isObject(meta) || RELATED_TASK_META_KEY in meta) return false;
  return isIdValue(meta.progressToken) || !('progressToken' in meta);
}

function isIdValue(value: unknown): boolean {
  return typeof value === 'string' || Number.isSafeInteger(value);
}

/** One message as the transport frames it on a stream without an event store. */
export function sseEvent(message: unknown): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * The SSE answer of one request. Its headers wait up to `holdMs` for the answer, so that a
 * quick one leaves in one write with them and the stream's end (as ./web-http.ts does for the
 * transport's streams); a slower one gets its headers at `holdMs`, then keep-alive comments.
 */
export class SseAnswer {
  private open = false;
  private readonly hold: NodeJS.Timeout;
  private keepAlive?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    sessionId: string,
    holdMs: number,
    private readonly keepAliveMs: number = DEFAULT_SSE_KEEP_ALIVE_MS,
  ) {
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': sessionId });
    this.hold = setTimeout(() => this.flush(), holdMs);
    res.once('close', () => this.stop());
  }

  /** False once the response has ended or its client has gone. */
  get live(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  /** An event before the answer (progress). */
  event(message: unknown): void {
    if (!this.live) return;
    this.open = true;
    this.res.write(sseEvent(message));
  }

  /** The answer: the last event, the stream ends with it. */
  finish(message: unknown): void {
    if (!this.live) return;
    this.stop();
    this.res.end(sseEvent(message));
  }

  /** Ends the stream without an answer (the session is ending). */
  close(): void {
    this.stop();
    if (this.live) this.res.end();
  }

  private flush(): void {
    if (!this.live) return;
    if (!this.open) this.res.flushHeaders();
    this.open = true;
    this.keepAlive = setInterval(() => {
      if (this.live) this.res.write(': keepalive\n\n');
    }, this.keepAliveMs);
    this.keepAlive.unref();
  }

  private stop(): void {
    clearTimeout(this.hold);
    clearInterval(this.keepAlive);
  }
}
