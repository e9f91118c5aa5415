/**
 * serve's HTTP side against a fake sandbox factory: the MCP SDK's Streamable HTTP client and raw
 * fetch on a real node:http listener. Routing, Origin/Host, limits, session binding, idle and
 * gone timeouts, the auth hooks, and that every sandbox opened is closed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuthFailure, AuthResult, Principal, ServeAuth } from '../../../src/serve/auth/types.js';
import { originPolicy } from '../../../src/serve/listen.js';
import { ServeServer, type ServeServerOptions } from '../../../src/serve/server.js';
import { fakeFactory } from './fake-sandbox.js';

interface World {
  url: URL;
  server: ServeServer;
  factory: ReturnType<typeof fakeFactory>;
  warnings: string[];
  close(): Promise<void>;
}

const worlds: World[] = [];

async function world(options: Partial<ServeServerOptions> = {}, factory = fakeFactory()): Promise<World> {
  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const warnings: string[] = [];
  const server = new ServeServer({
    factory,
    limits: { max: 8, perSubject: 8 },
    idleTimeoutMs: 60_000,
    endpointPath: '/mcp',
    originPolicy: originPolicy({ host: '127.0.0.1', port }, url),
    maxBodyBytes: 1024 * 1024,
    log: () => undefined,
    warn: (m) => warnings.push(m),
    ...options,
  });
  http.on('request', server.listener);
  const w: World = {
    url,
    server,
    factory,
    warnings,
    close: async () => {
      http.close();
      await server.closeAll();
      http.closeAllConnections();
    },
  };
  worlds.push(w);
  return w;
}

afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
});

async function connect(url: URL, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'unit', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

const text = (result: unknown): string => ((result as { content: Array<{ text: string }> }).content[0]?.text ?? '');
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function post(url: URL, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...ACCEPT, ...headers }, body: JSON.stringify(body) });
}

async function until(check: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('serve: sessions and routing', () => {
  test('an SDK client initializes, lists and calls tools; DELETE closes its sandbox and frees the slot', async () => {
    const w = await world();
    const { client, transport } = await connect(w.url);
    expect(client.getServerVersion()?.name).toBe('fake');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('count');
    expect(text(await client.callTool({ name: 'count', arguments: {} }))).toBe(`${transport.sessionId}:1`);
    expect(w.factory.sandboxes).toHaveLength(1);
    expect(w.server.size).toBe(1);
    await transport.terminateSession();
    expect(w.factory.sandboxes[0]?.closed).toBe(true);
    expect(w.server.size).toBe(0);
    await client.close();
  });

  test('two clients get two sandboxes whose state is their own', async () => {
    const w = await world();
    const a = await connect(w.url);
    const b = await connect(w.url);
    expect(text(await a.client.callTool({ name: 'count', arguments: {} }))).toBe(`${a.transport.sessionId}:1`);
    expect(text(await a.client.callTool({ name: 'count', arguments: {} }))).toBe(`${a.transport.sessionId}:2`);
    expect(text(await b.client.callTool({ name: 'count', arguments: {} }))).toBe(`${b.transport.sessionId}:1`);
    expect(w.factory.sandboxes.map((s) => s.session).sort()).toEqual([a.transport.sessionId, b.transport.sessionId].sort());
    await a.client.close();
    await b.client.close();
  });

  test('other paths, methods and a missing or unknown session id are refused without a sandbox', async () => {
    const w = await world();
    expect((await fetch(new URL('/other', w.url))).status).toBe(404);
    expect((await fetch(w.url, { method: 'PUT' })).status).toBe(405);
    const noSession = await post(w.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(noSession.status).toBe(400);
    const unknown = await post(w.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'nope' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
    expect((await post(w.url, 'not json{')).status).toBe(400);
    expect(w.factory.sandboxes).toHaveLength(0);
  });

  test('a foreign Origin or Host is refused (DNS rebinding); our own origin is served', async () => {
    const w = await world();
    const evil = await post(w.url, INIT, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: { message: expect.stringContaining('Origin') } });
    const { client } = await connect(w.url, { origin: `http://localhost:${w.url.port}` });
    await client.close();
    expect(w.factory.sandboxes).toHaveLength(1);
    // A Host header naming another site (a rebound DNS name) is refused too.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: Number(w.url.port), path: '/mcp', method: 'POST', headers: { ...ACCEPT, host: 'rebound.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
    expect(w.factory.sandboxes).toHaveLength(1);
  });

  test('a transport-level refusal of initialize (wrong Accept) leaves no session and no slot taken', async () => {
    const w = await world({ limits: { max: 1, perSubject: 1 } });
    const bad = await fetch(w.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(INIT) });
    expect(bad.status).toBe(406);
    expect(w.server.size).toBe(0);
    const { client } = await connect(w.url);
    await client.close();
  });
});

describe('serve: requests sent to the sandbox ahead of the transport', () => {
  test('an answer, and progress, that come before the transport opened the stream go out on it', async () => {
    const w = await world({}, fakeFactory({ sync: true }));
    const { client, transport } = await connect(w.url);
    expect(text(await client.callTool({ name: 'count', arguments: {} }))).toBe(`${transport.sessionId}:1`);
    expect(text(await client.callTool({ name: 'count', arguments: {} }))).toBe(`${transport.sessionId}:2`);
    const progress: number[] = [];
    void client.callTool({ name: 'hang', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) }).catch(() => undefined);
    expect(await until(() => progress.length === 1)).toBe(true);
    expect(w.warnings).toEqual([]);
    await client.close();
  });

  test('pipelined POSTs on one connection reach the sandbox in order, each answer on its own response', async () => {
    const w = await world();
    const init = await post(w.url, INIT);
    const session = init.headers.get('mcp-session-id') ?? '';
    await init.text();
    const messages = [
      { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'count', arguments: {} } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'count', arguments: {} } },
      [
        { jsonrpc: '2.0', id: 12, method: 'tools/call', params: { name: 'count', arguments: {} } },
        { jsonrpc: '2.0', id: 13, method: 'tools/list' },
      ],
    ];
    const { connect: tcp } = await import('node:net');
    const socket = tcp(Number(w.url.port), '127.0.0.1');
    const reads: string[] = [];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => reads.push(chunk));
    // Four requests in one write: HTTP/1.1 pipelining, the server sees them back to back.
    socket.write(
      messages
        .map((m) => {
          const body = JSON.stringify(m);
          return `POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:${w.url.port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\nmcp-session-id: ${session}\r\nmcp-protocol-version: 2025-06-18\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
        })
        .join(''),
    );
    expect(await until(() => (reads.join('').match(/HTTP\/1\.1 /g) ?? []).length === 4 && reads.join('').includes('"id":13'))).toBe(true);
    socket.destroy();
    const sandbox = w.factory.sandboxes[0];
    expect(sandbox?.received.map((m) => m.id ?? m.method)).toEqual([1, 10, 'notifications/initialized', 11, 12, 13]);
    const responses = reads.join('').split(/(?=HTTP\/1\.1 )/);
    expect(responses.map((r) => /^HTTP\/1\.1 (\d+)/.exec(r)?.[1])).toEqual(['200', '202', '200', '200']);
    expect(responses[0]).toContain(`"text":"${session}:1"`);
    expect(responses[0]).toContain('"id":10');
    expect(responses[2]).toContain(`"text":"${session}:2"`);
    expect(responses[3]).toContain(`"text":"${session}:3"`);
    expect(responses[3]).toContain('"id":13');
  });

  test('many requests at once on one session: every answer reaches its own request', async () => {
    const w = await world();
    const { client, transport } = await connect(w.url);
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.callTool({ name: 'count', arguments: {} }).then(text)));
    expect(answers.map((a) => Number(a.split(':')[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(answers).size).toBe(20);
    expect(answers.every((a) => a.startsWith(`${transport.sessionId}:`))).toBe(true);
    await client.close();
  });

  test('a POST the transport refuses (Accept, protocol version) never reaches the sandbox', async () => {
    const w = await world();
    const { client, transport } = await connect(w.url);
    const session = { 'mcp-session-id': transport.sessionId ?? '', 'mcp-protocol-version': '2025-06-18' };
    const call = { jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'count', arguments: {} } };
    const noSse = await fetch(w.url, { method: 'POST', headers: { ...ACCEPT, ...session, accept: 'application/json' }, body: JSON.stringify(call) });
    expect(noSse.status).toBe(406);
    const oldVersion = await post(w.url, call, { ...session, 'mcp-protocol-version': '1999-01-01' });
    expect(oldVersion.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.factory.sandboxes[0]?.received.some((m) => m.id === 77)).toBe(false);
    // The session carries on: the same id, now well sent, is answered.
    const ok = await post(w.url, call, session);
    expect(await ok.text()).toContain(`${transport.sessionId}:1`);
    await client.close();
  });
});

describe("serve: one-request POSTs on serve's own SSE path", () => {
  /** Status, the headers that matter, and the body of an SSE answer. */
  async function sseOf(response: Response): Promise<{ status: number; headers: Record<string, string | null>; events: unknown[] }> {
    const body = await response.text();
    const frames = body.split('\n\n').filter((f) => f !== '');
    const events = frames.map((f) => {
      const match = /^event: message\ndata: (.*)$/.exec(f);
      return match ? (JSON.parse(match[1] ?? '') as unknown) : f;
    });
    const names = ['content-type', 'cache-control', 'connection', 'x-accel-buffering', 'mcp-session-id'];
    return { status: response.status, headers: Object.fromEntries(names.map((n) => [n, response.headers.get(n)])), events };
  }

  test("a single request's answer is what the transport gives the same request in a batch of one", async () => {
    const w = await world();
    const init = await post(w.url, INIT);
    const session = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-06-18' };
    await init.text();
    const call = (id: number): unknown => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'count', arguments: {} } });
    const own = await sseOf(await post(w.url, call(20), session));
    const transport = await sseOf(await post(w.url, [call(21)], session));
    expect(own.status).toBe(200);
    expect(own.headers).toEqual(transport.headers);
    expect(own.headers['content-type']).toBe('text/event-stream');
    expect(own.events).toEqual([{ jsonrpc: '2.0', id: 20, result: { content: [{ type: 'text', text: `${session['mcp-session-id']}:1` }] } }]);
    expect(transport.events).toEqual([{ jsonrpc: '2.0', id: 21, result: { content: [{ type: 'text', text: `${session['mcp-session-id']}:2` }] } }]);
  });

  test("progress, then the session's end: both reach the request's own stream, the error as its answer", async () => {
    const w = await world();
    const init = await post(w.url, INIT);
    const session = { 'mcp-session-id': init.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-06-18' };
    await init.text();
    const hang = post(w.url, { jsonrpc: '2.0', id: 'h', method: 'tools/call', params: { name: 'hang', arguments: {}, _meta: { progressToken: 'p' } } }, session);
    expect(await until(() => (w.factory.sandboxes[0]?.held.length ?? 0) > 0)).toBe(true);
    w.factory.sandboxes[0]?.crash();
    const answer = await sseOf(await hang);
    expect(answer.events).toEqual([
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1, total: 2 } },
      { jsonrpc: '2.0', id: 'h', error: { code: -32603, message: expect.stringMatching(/sandbox ended/) as unknown } },
    ]);
    expect(await until(() => w.server.size === 0)).toBe(true);
  });
});

describe('serve: limits', () => {
  test('over serve.sessions.max: 503 with a JSON-RPC error, no sandbox created; a slot frees at DELETE', async () => {
    const w = await world({ limits: { max: 2, perSubject: 2 } });
    const a = await connect(w.url);
    await connect(w.url);
    const refused = await post(w.url, INIT);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000, message: expect.stringContaining('serve.sessions.max') } });
    expect(w.factory.sandboxes).toHaveLength(2);
    await a.transport.terminateSession();
    const { client } = await connect(w.url);
    expect(w.factory.sandboxes).toHaveLength(3);
    await client.close();
  });

  test('over serve.sessions.perSubject (with auth): 429 for that subject, others still served', async () => {
    const w = await world({ limits: { max: 8, perSubject: 1 }, auth: fakeAuth() });
    await connect(w.url, { authorization: 'Bearer alice' });
    const refused = await post(w.url, INIT, { authorization: 'Bearer alice' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { message: expect.stringContaining('perSubject') } });
    await connect(w.url, { authorization: 'Bearer bob' });
    expect(w.factory.sandboxes.map((s) => s.principal?.subject)).toEqual(['alice', 'bob']);
  });
});

describe('serve: ends', () => {
  test('idle timeout closes the sandbox; the session id is then unknown', async () => {
    const w = await world({ idleTimeoutMs: 150 });
    const { client, transport } = await connect(w.url);
    expect(await until(() => w.factory.sandboxes[0]?.closed === true)).toBe(true);
    expect(w.server.size).toBe(0);
    const after = await post(w.url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, { 'mcp-session-id': transport.sessionId as string });
    expect(after.status).toBe(404);
    await client.close();
  });

  test('a request in flight holds off the idle timeout', async () => {
    const w = await world({ idleTimeoutMs: 100 });
    const { client } = await connect(w.url);
    const call = client.callTool({ name: 'hang', arguments: {} }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.factory.sandboxes[0]?.closed).toBe(false);
    await client.close();
    await call;
  });

  test('the client gone (its GET stream closed, nothing in flight) ends the session after the grace', async () => {
    const w = await world({ goneGraceMs: 100 });
    const { client } = await connect(w.url);
    await until(() => false, 200); // the SDK opens its GET stream after initialized
    expect(w.factory.sandboxes[0]?.closed).toBe(false);
    await client.close();
    expect(await until(() => w.factory.sandboxes[0]?.closed === true)).toBe(true);
  });

  test('a sandbox that ends on its own answers the open request with an error and ends the session', async () => {
    const w = await world();
    const { client } = await connect(w.url);
    const call = client.callTool({ name: 'hang', arguments: {} }).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await until(() => (w.factory.sandboxes[0]?.held.length ?? 0) > 0);
    w.factory.sandboxes[0]?.crash();
    expect(await call).toMatch(/sandbox ended/);
    expect(await until(() => w.server.size === 0)).toBe(true);
    await client.close();
  });

  test('closeAll ends every session and resolves once all sandboxes are closed', async () => {
    const w = await world();
    await connect(w.url);
    await connect(w.url);
    await connect(w.url);
    await w.server.closeAll();
    expect(w.factory.sandboxes.map((s) => s.closed)).toEqual([true, true, true]);
    expect(w.server.size).toBe(0);
    expect((await post(w.url, INIT)).status).toBe(503);
  });

  test('closeAll while an initialize is still arriving: the session it begins is ended before closeAll resolves', async () => {
    const w = await world();
    const { request } = await import('node:http');
    const body = JSON.stringify(INIT);
    const req = request({ host: '127.0.0.1', port: Number(w.url.port), path: '/mcp', method: 'POST', headers: { ...ACCEPT, 'content-length': String(body.length) } }, (res) => res.resume());
    req.on('error', () => undefined);
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 50));
    const closed = w.server.closeAll();
    req.end(body.slice(10));
    await closed;
    expect(w.factory.sandboxes).toHaveLength(1);
    expect(w.factory.sandboxes[0]?.closed).toBe(true);
    expect(w.server.size).toBe(0);
  });

  test('progress for a request goes to that request, server messages reach the client', async () => {
    const w = await world();
    const { client } = await connect(w.url);
    const progress: number[] = [];
    const call = client.callTool({ name: 'hang', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) }).catch(() => undefined);
    expect(await until(() => progress.length === 1)).toBe(true);
    await client.close();
    await call;
  });
});

describe('serve: authentication and authorization hooks', () => {
  test('401 from authenticate is sent as given, nothing created', async () => {
    const w = await world({ auth: fakeAuth() });
    const res = await post(w.url, INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer resource_metadata="http://x/.well-known/oauth-protected-resource/mcp"');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'no token' });
    expect(w.factory.sandboxes).toHaveLength(0);
  });

  test('metadata at the auth module path and at the RFC 9728 path-suffixed form', async () => {
    const w = await world({ auth: fakeAuth() });
    for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(new URL(p, w.url));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ resource: 'http://x/mcp' });
    }
  });

  test('a tools/call the principal may not make is 403 as given and never reaches the sandbox', async () => {
    const w = await world({ auth: fakeAuth() });
    const { client } = await connect(w.url, { authorization: 'Bearer alice' });
    await expect(client.callTool({ name: 'secret-tool', arguments: {} })).rejects.toThrow(/403|insufficient_scope/);
    expect(text(await client.callTool({ name: 'count', arguments: {} }))).toMatch(/:1$/);
    const sandbox = w.factory.sandboxes[0];
    expect(sandbox?.received.map((m) => (m.params as { name?: string } | undefined)?.name)).not.toContain('secret-tool');
    expect(sandbox?.principal).toEqual({ subject: 'alice', clientId: 'client-alice', scopes: new Set(['tools']) });
    await client.close();
  });

  test('a session is bound to its subject: another subject with its id gets 404', async () => {
    const w = await world({ auth: fakeAuth() });
    const { client, transport } = await connect(w.url, { authorization: 'Bearer alice' });
    const sid = transport.sessionId as string;
    const list = { jsonrpc: '2.0', id: 9, method: 'tools/list' };
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    expect((await post(w.url, list, { ...h, authorization: 'Bearer bob' })).status).toBe(404);
    expect((await fetch(w.url, { method: 'DELETE', headers: { ...h, authorization: 'Bearer bob' } })).status).toBe(404);
    expect(w.factory.sandboxes[0]?.closed).toBe(false);
    expect((await post(w.url, list, { ...h, authorization: 'Bearer alice' })).status).toBe(200);
    await client.close();
  });
});

/** Tokens are subject names; `secret-tool` needs a scope nobody has. */
function fakeAuth(): ServeAuth {
  const failure = (status: 401 | 403, error: string, description: string): AuthFailure => ({
    ok: false,
    status,
    headers: { 'www-authenticate': 'Bearer resource_metadata="http://x/.well-known/oauth-protected-resource/mcp"' },
    body: { error, error_description: description },
  });
  return {
    metadataPath: '/.well-known/oauth-protected-resource/mcp',
    metadata: () => ({ resource: 'http://x/mcp' }),
    authenticate: async (header): Promise<AuthResult> => {
      const token = header?.replace(/^Bearer /, '');
      if (!token) return failure(401, 'invalid_token', 'no token');
      const principal: Principal = { subject: token, clientId: `client-${token}`, scopes: new Set(['tools']) };
      return { ok: true, principal };
    },
    authorizeTool: (_principal, tool) => (tool === 'secret-tool' ? failure(403, 'insufficient_scope', 'needs admin') : { ok: true }),
  };
}
