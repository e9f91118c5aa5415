/**
 * The whole OAuth chain without the serve command: a minimal node:http MCP server guarded by
 * ServeAuth, the SDK's Streamable HTTP client with an OAuthClientProvider, and a real
 * authorization server (oidc-provider), all on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { createServeAuth } from '../../../../src/serve/auth/index.js';
import type { AuthFailure, ServeAuth } from '../../../../src/serve/auth/types.js';
import { closeServer, connectWithOAuth, startAuthorizationServer, TestOAuthClient, type AuthorizationServer } from '../../../engine/helpers/oauth.js';

const SCOPES = new Map([
  ['tools:call', ['*']],
  ['tools:write', ['write_*']],
]);

interface ResourceServer {
  url: string;
  close(): Promise<void>;
  /** Subjects and client ids of the calls that passed. */
  callers: string[];
}

async function startResourceServer(issuer: string): Promise<ResourceServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const auth = await createServeAuth({ issuer, scopes: SCOPES }, url);
  const callers: string[] = [];
  server.on('request', (req, res) => {
    handle(auth, req, res, callers).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  return { url, callers, close: () => closeServer(server) };
}

async function handle(auth: ServeAuth, req: IncomingMessage, res: ServerResponse, callers: string[]): Promise<void> {
  if (req.method === 'GET' && req.url === auth.metadataPath) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(auth.metadata()));
    return;
  }
  if (req.url !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  const authenticated = await auth.authenticate(req.headers.authorization);
  if (!authenticated.ok) return refuse(res, authenticated);
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const body: unknown = JSON.parse(await readBody(req));
  const call = body as { method?: string; params?: { name?: string } };
  if (call.method === 'tools/call') {
    const allowed = auth.authorizeTool(authenticated.principal, String(call.params?.name));
    if (!allowed.ok) return refuse(res, allowed);
    callers.push(`${authenticated.principal.subject} ${authenticated.principal.clientId ?? '-'}`);
  }
  // Stateless: a fresh server and transport per request, as in the SDK's stateless example.
  const mcp = new McpServer({ name: 'guarded', version: '1.0.0' });
  mcp.tool('echo', { text: z.string() }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  mcp.tool('write_note', { text: z.string() }, async ({ text }) => ({ content: [{ type: 'text', text: `wrote ${text}` }] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => void transport.close());
  await mcp.connect(transport);
  await transport.handleRequest(req, res, body);
}

function refuse(res: ServerResponse, failure: AuthFailure): void {
  res.writeHead(failure.status, { ...failure.headers, 'content-type': 'application/json' }).end(JSON.stringify(failure.body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** fetch that remembers every status and WWW-Authenticate the client saw. */
function recordingFetch(): { fetch: typeof fetch; seen: Array<{ url: string; status: number; challenge: string | null }> } {
  const seen: Array<{ url: string; status: number; challenge: string | null }> = [];
  return {
    seen,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      seen.push({ url: String(input instanceof Request ? input.url : input), status: response.status, challenge: response.headers.get('www-authenticate') });
      return response;
    },
  };
}

describe('OAuth flow: SDK client, ServeAuth, oidc-provider', () => {
  let as: AuthorizationServer | undefined;
  let rs: ResourceServer | undefined;

  afterEach(async () => {
    await rs?.close();
    await as?.close();
    rs = undefined;
    as = undefined;
  });

  async function start(grantableScopes: string[]): Promise<{ as: AuthorizationServer; rs: ResourceServer }> {
    // As a serve e2e test would: the authorization server first, told the resource once it is known.
    as = await startAuthorizationServer({ scopes: [...SCOPES.keys()], grantableScopes });
    rs = await startResourceServer(as.issuer);
    as.setResource(rs.url);
    return { as, rs };
  }

  it('answers 401 with the metadata URL, then the SDK client authorizes (DCR, code + PKCE, resource) and its calls pass', async () => {
    const { rs } = await start(['tools:call', 'tools:write']);
    const bare = await fetch(rs.url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(bare.status).toBe(401);
    const metadataUrl = `${new URL(rs.url).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(bare.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`);

    const oauth = new TestOAuthClient();
    const recorder = recordingFetch();
    const { client } = await connectWithOAuth(new URL(rs.url), oauth, recorder.fetch);
    try {
      expect(recorder.seen.some((seen) => seen.url === metadataUrl && seen.status === 200)).toBe(true);
      const authorization = oauth.authorizationUrls[0]!;
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authorization.searchParams.get('resource')).toBe(rs.url);
      expect(oauth.clientInformation()?.client_id).toBeTruthy();
      const token = oauth.tokens()!.access_token;
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
      expect(decodeJwt(token)).toMatchObject({ aud: rs.url, sub: 'alice', scope: 'tools:call tools:write' });
      const result = await client.callTool({ name: 'write_note', arguments: { text: 'hi' } });
      expect(result.content).toEqual([{ type: 'text', text: 'wrote hi' }]);
      expect(rs.callers).toEqual([`alice ${oauth.clientInformation()?.client_id}`]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('refuses a call whose scope the token lacks with 403 insufficient_scope naming the needed scopes', async () => {
    const { rs } = await start(['tools:call']);
    const oauth = new TestOAuthClient();
    const recorder = recordingFetch();
    const { client } = await connectWithOAuth(new URL(rs.url), oauth, recorder.fetch);
    try {
      expect(decodeJwt(oauth.tokens()!.access_token).scope).toBe('tools:call');
      const echoed = await client.callTool({ name: 'echo', arguments: { text: 'ok' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'ok' }]);
      await expect(client.callTool({ name: 'write_note', arguments: { text: 'no' } })).rejects.toThrow();
      const forbidden = recorder.seen.find((seen) => seen.status === 403);
      expect(forbidden?.challenge).toBe(
        `Bearer error="insufficient_scope", error_description="the tool needs scope tools:call tools:write", scope="tools:call tools:write", resource_metadata="${new URL(rs.url).origin}/.well-known/oauth-protected-resource/mcp"`,
      );
      expect(rs.callers).toHaveLength(1);
      // The SDK stepped up: it sent the user to authorize again, asking for the scopes the 403 named.
      expect(oauth.authorizationUrls.at(-1)?.searchParams.get('scope')).toBe('tools:call tools:write');
    } finally {
      await client.close();
    }
  }, 30_000);

  it("refuses the helper's bad tokens (other audience, expired, other key) and accepts its good one", async () => {
    const { as, rs } = await start(['tools:call']);
    const initialize = (token: string): Promise<Response> =>
      fetch(rs.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
    const good = await initialize(await as.tokens.mint());
    expect(good.status).toBe(200);
    await good.body?.cancel();
    for (const bad of [{ audience: 'http://127.0.0.1:1/other' }, { expiresIn: -600 }, { otherKey: true }]) {
      const response = await initialize(await as.tokens.mint(bad));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/);
      await response.body?.cancel();
    }
  }, 30_000);
});
