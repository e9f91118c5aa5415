/**
 * serve's HTTP side: MCP Streamable HTTP (the SDK's stateful Web-standard server transport, on
 * node:http through ./web-http.ts) bridged as raw JSON-RPC to one sandbox per session. Client messages go to the sandbox's stdin
 * as they come; the server's messages go back with the request they relate to, so a response
 * lands on its POST's stream and server-initiated requests and notifications on the GET stream.
 *
 * Per request: Origin/Host check (DNS rebinding), authentication (with serve.auth), then, for a
 * POST, every tools/call is authorized before the transport sees it. A POST of one plain request
 * within a session is answered on serve's own SSE path (answerHere, ./sse-answer.ts); another
 * POST of requests the transport will take goes to the sandbox ahead of the transport's own work
 * on it (sendAhead).
 * A session is bound to the subject that opened it; for anyone else it does not exist (404).
 * It ends at DELETE, after idleTimeout without a request, shortly after its client's last
 * connection closed, when the sandbox ends on its own, and at closeAll().
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import { isJsonContentType } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import { isJSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { idKey, isId, isObject, isRequest, isResponse, type JsonRpcId, type JsonRpcMessage } from '../gate/jsonrpc.js';
import type { AuthFailure, Principal, ServeAuth } from './auth/types.js';
import { headerOf, readJsonBody, sendJson, sendRpcError } from './http.js';
import { SessionLimits, type LimitConfig } from './limits.js';
import type { OriginPolicy } from './listen.js';
import type { Sandbox, SandboxEnd, SandboxFactory } from './sandbox.js';
import { isPlainRequest, SseAnswer } from './sse-answer.js';
import { HEADER_HOLD_MS, sendWebResponse, webRequestOf } from './web-http.js';

export interface ServeServerOptions {
  factory: SandboxFactory;
  limits: LimitConfig;
  /** A session with no request for this long ends. */
  idleTimeoutMs: number;
  /** A session whose client's last connection (its GET stream) closed ends after this, unless it comes back. */
  goneGraceMs?: number;
  /** Path of the MCP endpoint (the public URL's). */
  endpointPath: string;
  originPolicy: OriginPolicy;
  maxBodyBytes: number;
  auth?: ServeAuth;
  /** One line per session start and end (--verbose). */
  log(message: string): void;
  /** Failures that always matter (a sandbox that could not start). */
  warn(message: string): void;
}

/** The standard metadata path (RFC 9728 §3), served with and without the endpoint's path suffix. */
const METADATA_PATH = '/.well-known/oauth-protected-resource';
const DEFAULT_GONE_GRACE_MS = 10_000;

interface ServeSession {
  id: string;
  principal?: Principal;
  transport: WebStandardStreamableHTTPServerTransport;
  sandbox: Sandbox;
  release(): void;
  /** Client requests the server has not answered yet: answered with an error if it ends first. */
  pending: Map<string, JsonRpcId>;
  /** progressToken → request id, so progress goes to that request's stream. */
  progress: Map<string, JsonRpcId>;
  /**
   * Requests sent to the sandbox before the transport handed them on (sendAhead), by id key:
   * until it does, their stream does not exist, so what comes for them first (progress, the
   * answer) waits here.
   */
  ahead: Map<string, JsonRpcMessage[]>;
  /** Requests answered on serve's own SSE path (./sse-answer.ts), by id key. */
  answers: Map<string, SseAnswer>;
  /** POST and DELETE requests still open; GET streams open. */
  inFlight: number;
  streams: number;
  timer?: NodeJS.Timeout;
}

export class ServeServer {
  private readonly sessions = new Map<string, ServeSession>();
  private readonly endings = new Set<Promise<void>>();
  private readonly limits: SessionLimits;
  private readonly metadataPaths: ReadonlySet<string>;
  private closing = false;
  /** POSTs without a session id being handled: their session may begin after closeAll started. */
  private opening = 0;

  constructor(private readonly options: ServeServerOptions) {
    // Without auth there are no subjects: only `max` applies.
    this.limits = new SessionLimits(options.auth ? options.limits : { max: options.limits.max, perSubject: options.limits.max });
    const suffix = options.endpointPath === '/' ? '' : options.endpointPath;
    this.metadataPaths = new Set(options.auth ? [options.auth.metadataPath, METADATA_PATH, `${METADATA_PATH}${suffix}`] : []);
  }

  /** Sessions (sandboxes) held now, ending ones included. */
  get size(): number {
    return this.limits.size;
  }

  /** The node:http request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.options.warn(`request failed: ${(error as Error).message}`);
      sendRpcError(res, 500, -32603, 'Internal error');
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The endpoint as sent is its path already (the common case); anything else is parsed.
    const path = req.url === this.options.endpointPath ? req.url : new URL(req.url ?? '/', 'http://serve.invalid').pathname;
    if (this.options.auth && req.method === 'GET' && this.metadataPaths.has(path)) return sendJson(res, 200, this.options.auth.metadata());
    if (path !== this.options.endpointPath) return sendJson(res, 404, { error: 'not_found', error_description: `the MCP endpoint is ${this.options.endpointPath}` });
    const refused = this.refuseOrigin(req);
    if (refused) return sendRpcError(res, 403, -32000, refused);
    if (this.closing) return sendRpcError(res, 503, -32000, 'serve is shutting down');
    const principal = await this.authenticate(req, res);
    if (principal === false) return;
    const sessionId = headerOf(req, 'mcp-session-id');
    if (req.method === 'POST' && sessionId === undefined) return this.opened(() => this.post(req, res, sessionId, principal));
    if (req.method === 'POST') return this.post(req, res, sessionId, principal);
    if (req.method !== 'GET' && req.method !== 'DELETE') return sendRpcError(res, 405, -32000, 'Method not allowed.', { allow: 'GET, POST, DELETE' });
    const session = this.lookup(sessionId, principal, res);
    if (session) await this.carry(session, req, res, undefined);
  }

  /** Runs a POST that may begin a session, counted so closeAll waits for it. */
  private async opened(handle: () => Promise<void>): Promise<void> {
    this.opening += 1;
    try {
      await handle();
    } finally {
      this.opening -= 1;
    }
  }

  /** Why the request's Origin or Host is not ours, or undefined. */
  private refuseOrigin(req: IncomingMessage): string | undefined {
    const { origins, hosts } = this.options.originPolicy;
    const origin = headerOf(req, 'origin');
    if (origin !== undefined && !origins.has(origin)) return `Forbidden: Origin ${origin} is not allowed`;
    const host = headerOf(req, 'host');
    if (hosts && (host === undefined || !hosts.has(host.toLowerCase()))) return `Forbidden: Host ${host ?? '(none)'} is not allowed`;
    return undefined;
  }

  /** The principal, undefined without auth, or false once a 401/403 has been sent. */
  private async authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined | false> {
    if (!this.options.auth) return undefined;
    const result = await this.options.auth.authenticate(headerOf(req, 'authorization'));
    if (result.ok) return result.principal;
    sendAuthFailure(res, result);
    return false;
  }

  private async post(req: IncomingMessage, res: ServerResponse, sessionId: string | undefined, principal: Principal | undefined): Promise<void> {
    const body = await readJsonBody(req, this.options.maxBodyBytes);
    if (!body.ok) return sendRpcError(res, body.status, body.status === 413 ? -32000 : -32700, body.message);
    const messages = (Array.isArray(body.value) ? body.value : [body.value]) as unknown[];
    const denied = principal && this.options.auth ? firstDeniedCall(messages, principal, this.options.auth) : undefined;
    if (denied) return sendAuthFailure(res, denied);
    if (sessionId === undefined) {
      if (!messages.some((m) => isObject(m) && m.method === 'initialize')) return sendRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return this.initialize(req, res, body.value, principal);
    }
    const session = this.lookup(sessionId, principal, res);
    if (session) await this.carry(session, req, res, body.value);
  }

  /** A new session: a slot first (or the limit's answer, nothing created), then the transport and the sandbox. */
  private async initialize(req: IncomingMessage, res: ServerResponse, body: unknown, principal: Principal | undefined): Promise<void> {
    const reservation = this.limits.reserve(principal?.subject ?? '');
    if (!reservation.ok) return sendRpcError(res, reservation.status, -32000, reservation.message, { 'retry-after': '5' });
    const id = randomUUID();
    let session: ServeSession | undefined;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessioninitialized: () => {
        session = this.begin(id, transport, principal, reservation.release);
        this.track(session, res);
      },
      // DELETE is answered once the sandbox is gone.
      onsessionclosed: () => this.end(id, 'deleted by the client'),
    });
    transport.onmessage = (message) => {
      if (session) this.fromTransport(session, message);
    };
    try {
      await transport.start();
      await exchange(transport, req, res, body);
    } finally {
      // The transport refused the request (headers, protocol): no session, nothing to keep.
      if (!session) reservation.release();
    }
  }

  private begin(id: string, transport: WebStandardStreamableHTTPServerTransport, principal: Principal | undefined, release: () => void): ServeSession {
    let session: ServeSession | undefined;
    const sandbox = this.options.factory.open({
      session: id,
      ...(principal ? { principal } : {}),
      onMessage: (message) => {
        if (session && this.sessions.get(id) === session) this.toClient(session, message);
      },
    });
    session = { id, transport, sandbox, release, pending: new Map(), progress: new Map(), ahead: new Map(), answers: new Map(), inFlight: 0, streams: 0, ...(principal ? { principal } : {}) };
    this.sessions.set(id, session);
    this.options.log(`session ${short(id)} started${principal ? ` for ${principal.subject}` : ''}`);
    void sandbox.ended.then((end) => this.end(id, describeEnd(end), end));
    return session;
  }

  /** The session, if it exists for this principal; otherwise the answer has been sent. */
  private lookup(sessionId: string | undefined, principal: Principal | undefined, res: ServerResponse): ServeSession | undefined {
    if (sessionId === undefined) {
      sendRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return undefined;
    }
    const session = this.sessions.get(sessionId);
    // Another subject's session is indistinguishable from none.
    if (!session || session.principal?.subject !== principal?.subject) {
      sendRpcError(res, 404, -32001, 'Session not found');
      return undefined;
    }
    return session;
  }

  private async carry(session: ServeSession, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method === 'GET') this.trackStream(session, res);
    else this.track(session, res);
    if (req.method === 'POST' && this.answerHere(session, req, res, body)) return;
    const ahead = req.method === 'POST' ? this.sendAhead(session, req, body) : [];
    try {
      // The gate writes to the sandbox's stdin in microtasks after send(); the transport's
      // synchronous part (the Web request, the body's validation, the stream) would run first
      // and hold that write back. After this turn of the loop it runs while the sandbox works.
      if (ahead.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      await exchange(session.transport, req, res, body);
    } finally {
      // The transport refused what sendAhead foresaw it would take: its answer has nowhere to go.
      for (const key of ahead) if (session.ahead.delete(key)) session.pending.delete(key);
    }
  }

  /**
   * Hands a POST's requests to the sandbox at once, before the transport has turned the Node
   * request into a Web one, validated the body and opened the SSE stream: that work then runs
   * while the sandbox works instead of before it (BENCHMARKS.md, "serve"). Only a body the
   * transport will take (its own header, batch and message checks) and only of requests, so
   * nothing is reordered; the transport's onmessage for them is then not forwarded again.
   */
  private sendAhead(session: ServeSession, req: IncomingMessage, body: unknown): string[] {
    const messages = Array.isArray(body) ? (body as unknown[]) : [body];
    if (!transportTakes(req) || messages.length > MAX_BATCH_SIZE || !messages.every(isJSONRPCRequest)) return [];
    const keys: string[] = [];
    for (const message of messages as JsonRpcMessage[]) {
      const key = idKey(message.id as JsonRpcId);
      // An initialize the transport refuses, or an id already open: leave those to it.
      if (message.method === 'initialize' || session.pending.has(key) || session.ahead.has(key)) return keys;
      session.ahead.set(key, []);
      keys.push(key);
      this.toSandbox(session, message as JSONRPCMessage);
    }
    return keys;
  }

  /**
   * A POST of one request the transport would take (its header checks, a request its schema
   * certainly accepts, not initialize, an id not already open), answered on serve's own SSE path
   * (./sse-answer.ts) without the transport: true if so. Everything else is left to it.
   */
  private answerHere(session: ServeSession, req: IncomingMessage, res: ServerResponse, body: unknown): boolean {
    if (!transportTakes(req) || !isPlainRequest(body) || body.method === 'initialize') return false;
    const key = idKey(body.id);
    if (session.pending.has(key) || session.ahead.has(key)) return false;
    session.answers.set(key, new SseAnswer(res, session.id, HEADER_HOLD_MS));
    this.toSandbox(session, body);
    return true;
  }

  /** A message the transport hands on: to the sandbox, unless sendAhead already sent it. */
  private fromTransport(session: ServeSession, message: JSONRPCMessage): void {
    const m = message as JsonRpcMessage;
    const key = isRequest(m) && isId(m.id) ? idKey(m.id) : undefined;
    if (key === undefined || !session.ahead.has(key)) return this.toSandbox(session, message);
    const early = session.ahead.get(key) ?? [];
    session.ahead.delete(key);
    // Its stream exists now: what came first goes out on it.
    for (const waiting of early) this.toClient(session, waiting);
  }

  /** A POST/DELETE in flight holds the session; when the last one closes, the idle clock starts. */
  private track(session: ServeSession, res: ServerResponse): void {
    session.inFlight += 1;
    clearTimeout(session.timer);
    res.once('close', () => {
      session.inFlight -= 1;
      if (session.inFlight === 0) this.arm(session, this.options.idleTimeoutMs, 'idle timeout');
    });
  }

  /** A GET stream is the client's presence: its close with nothing in flight means the client may be gone. */
  private trackStream(session: ServeSession, res: ServerResponse): void {
    session.streams += 1;
    if (session.inFlight === 0) this.arm(session, this.options.idleTimeoutMs, 'idle timeout');
    res.once('close', () => {
      session.streams -= 1;
      if (session.inFlight === 0 && session.streams === 0) this.arm(session, Math.min(this.options.goneGraceMs ?? DEFAULT_GONE_GRACE_MS, this.options.idleTimeoutMs), 'client gone');
    });
  }

  private arm(session: ServeSession, ms: number, reason: string): void {
    clearTimeout(session.timer);
    if (this.sessions.get(session.id) !== session) return;
    session.timer = setTimeout(() => void this.end(session.id, reason), ms);
  }

  private toSandbox(session: ServeSession, message: JSONRPCMessage): void {
    const m = message as JsonRpcMessage;
    if (isRequest(m) && isId(m.id)) {
      session.pending.set(idKey(m.id), m.id);
      const token = progressToken(m);
      if (token !== undefined) session.progress.set(idKey(token), m.id);
    }
    session.sandbox.send(m);
  }

  private toClient(session: ServeSession, message: JsonRpcMessage): void {
    let related: JsonRpcId | undefined;
    if (isResponse(message) && isId(message.id)) {
      const key = idKey(message.id);
      const waiting = session.ahead.get(key);
      if (waiting) return void waiting.push(message);
      if (!session.pending.delete(key)) return this.options.log(`session ${short(session.id)}: dropped a response to no open request`);
      for (const [token, id] of session.progress) if (idKey(id) === key) session.progress.delete(token);
      const answer = session.answers.get(key);
      if (answer) {
        session.answers.delete(key);
        return answer.finish(message);
      }
    } else if (message.method === 'notifications/progress') {
      const token = isObject(message.params) ? message.params.progressToken : undefined;
      related = isId(token) ? session.progress.get(idKey(token)) : undefined;
      const waiting = related === undefined ? undefined : session.ahead.get(idKey(related));
      if (waiting) return void waiting.push(message);
      const answer = related === undefined ? undefined : session.answers.get(idKey(related));
      if (answer) return answer.event(message);
    }
    session.transport.send(message as JSONRPCMessage, related === undefined ? undefined : { relatedRequestId: related }).catch((error: unknown) => {
      // Its stream is gone (the client went away mid-request): nothing to deliver to.
      this.options.log(`session ${short(session.id)}: ${(error as Error).message}`);
    });
  }

  /** Ends a session once: open requests answered, streams closed, sandbox removed, slot released. */
  private end(id: string, reason: string, end?: SandboxEnd): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return Promise.resolve();
    this.sessions.delete(id);
    clearTimeout(session.timer);
    const ending = (async (): Promise<void> => {
      for (const [key, requestId] of session.pending) {
        const error = { jsonrpc: '2.0' as const, id: requestId, error: { code: -32603, message: `the session's sandbox ended (${reason})` } };
        const answer = session.answers.get(key);
        if (answer) answer.finish(error);
        else await session.transport.send(error).catch(() => undefined);
      }
      for (const answer of session.answers.values()) answer.close();
      await session.transport.close().catch(() => undefined);
      const result = end ?? (await session.sandbox.close());
      session.release();
      if (result.error) this.options.warn(`session ${short(id)}: ${result.error.message}`);
      this.options.log(`session ${short(id)} ended: ${reason}`);
    })();
    this.endings.add(ending);
    void ending.finally(() => this.endings.delete(ending));
    return ending;
  }

  /**
   * Ends every session (serve's SIGTERM/SIGINT); resolves once every sandbox is gone, including
   * those of an `initialize` that was being handled when it was called.
   */
  async closeAll(): Promise<void> {
    this.closing = true;
    for (;;) {
      for (const id of [...this.sessions.keys()]) void this.end(id, 'serve is shutting down');
      if (this.endings.size > 0) await Promise.all([...this.endings]);
      else if (this.opening > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      else return;
    }
  }
}

/**
 * One request through the transport, its Response written to `res`. A GET stream's headers tell
 * the client it is open: they go at once; a POST's wait for its answer (./web-http.ts).
 */
async function exchange(transport: WebStandardStreamableHTTPServerTransport, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
  const response = await transport.handleRequest(webRequestOf(req), body === undefined ? undefined : { parsedBody: body });
  await sendWebResponse(response, res, req.method === 'POST' ? HEADER_HOLD_MS : 0);
}

/** The transport's header checks on a POST after initialize: Accept, Content-Type, Mcp-Protocol-Version. */
function transportTakes(req: IncomingMessage): boolean {
  const accept = headerOf(req, 'accept') ?? '';
  const version = headerOf(req, 'mcp-protocol-version');
  return accept.includes('application/json') && accept.includes('text/event-stream') && isJsonContentType(headerOf(req, 'content-type')) && (version === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(version));
}

function sendAuthFailure(res: ServerResponse, failure: AuthFailure): void {
  sendJson(res, failure.status, failure.body, failure.headers);
}

/** The first tools/call in a POST body the principal may not make. */
function firstDeniedCall(messages: readonly unknown[], principal: Principal, auth: ServeAuth): AuthFailure | undefined {
  for (const message of messages) {
    if (!isObject(message) || message.method !== 'tools/call') continue;
    const name = isObject(message.params) && typeof message.params.name === 'string' ? message.params.name : '';
    const verdict = auth.authorizeTool(principal, name);
    if (!verdict.ok) return verdict;
  }
  return undefined;
}

function progressToken(message: JsonRpcMessage): JsonRpcId | undefined {
  const meta = isObject(message.params) ? message.params._meta : undefined;
  const token = isObject(meta) ? meta.progressToken : undefined;
  return isId(token) ? token : undefined;
}

/** A session id as logs show it: enough to tell sessions apart, not the id a client presents. */
function short(id: string): string {
  return id.slice(0, 8);
}

function describeEnd(end: SandboxEnd): string {
  return end.error ? 'its sandbox could not start or failed' : `its sandbox exited (launcher exit ${end.exitCode ?? '?'})`;
}
