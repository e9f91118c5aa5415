/**
 * `mcp-sandbox serve` with `serve.auth`, end to end: a real authorization server (oidc-provider
 * on 127.0.0.1, dynamic client registration, PKCE, resource indicators), the built CLI serving
 * server-everything under gVisor, and the MCP SDK's Streamable HTTP client running the whole
 * OAuth 2.1 authorization-code flow. No token → 401 pointing at the metadata; bad tokens → 401;
 * a tool whose scope the token lacks → 403 insufficient_scope before the sandbox sees the call;
 * the token's subject and client id are in every audit record of the session.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { containersWithLabel, describeEngine, eventually, NODE_IMAGE, tempDir, writeUserConfig } from './helpers/engine.js';
import { startServeCli } from './helpers/serve.js';
import { connectWithOAuth, startAuthorizationServer, TestOAuthClient, type AuthorizationServer } from './helpers/oauth.js';

jest.setTimeout(180_000);

const EVERYTHING = '/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const SCOPES = ['tools:call', 'tools:env'];
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

interface Served {
  child: ChildProcess;
  url: URL;
  audit: string;
  profile: string;
}

const children: ChildProcess[] = [];
const profiles: string[] = [];

/** serve for a profile whose serve.auth trusts `issuer`: tools need tools:call, get-env also tools:env. */
async function startServe(issuer: string): Promise<Served> {
  const dir = tempDir('serve-auth-');
  const profile = `serve-auth-${process.pid}-${profiles.length}`;
  profiles.push(profile);
  const file = path.join(dir, `${profile}.yaml`);
  writeFileSync(
    file,
    `version: 1\nname: ${profile}\nimage: ${NODE_IMAGE}\npull: never\nentrypoint: [node]\ncommand: [${EVERYTHING}, stdio]\nuser: "10001"\n` +
      `serve:\n  auth:\n    issuer: ${issuer}\n    scopes:\n      "tools:call": ["*"]\n      "tools:env": ["get-env"]\n`,
  );
  const audit = path.join(dir, 'audit');
  const env = { MCP_SANDBOX_CONFIG: writeUserConfig(dir, '{}\n'), XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_CACHE_HOME: path.join(dir, 'cache'), MCP_SANDBOX_AUDIT_DIR: audit };
  const { child, url } = await startServeCli([file, '--listen', '127.0.0.1:0'], env);
  children.push(child);
  return { child, url, audit, profile };
}

function auditRecords(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const initialize = (url: URL, token?: string): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(INIT),
  });

describeEngine('mcp-sandbox serve with OAuth 2.1 (oidc-provider, SDK client, gVisor)', () => {
  let as: AuthorizationServer | undefined;

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    await as?.close();
    as = undefined;
  });

  afterAll(async () => {
    for (const profile of profiles) expect(await eventually(() => containersWithLabel(`mcp-sandbox.profile=${profile}`).length === 0, 20_000)).toBe(true);
  });

  test('no token: 401 naming the metadata, which names the issuer; bad tokens: 401; nothing is started for them', async () => {
    as = await startAuthorizationServer({ scopes: SCOPES });
    const served = await startServe(as.issuer);
    as.setResource(served.url.href);
    const bare = await initialize(served.url);
    expect(bare.status).toBe(401);
    const challenge = bare.headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${served.url.origin}/.well-known/oauth-protected-resource${served.url.pathname}`);
    const metadata = (await (await fetch(metadataUrl!)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ resource: served.url.href, authorization_servers: [as.issuer], bearer_methods_supported: ['header'] });
    for (const bad of [{ audience: 'http://127.0.0.1:1/other' }, { expiresIn: -600 }, { otherKey: true }]) {
      const response = await initialize(served.url, await as.tokens.mint(bad));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      await response.body?.cancel();
    }
    expect(containersWithLabel(`mcp-sandbox.profile=${served.profile}`)).toEqual([]);
  });

  test('the SDK client authorizes (DCR, code + PKCE, resource) and calls tools; a tool beyond its scopes is 403 and never reaches the sandbox; audit records carry subject and client id', async () => {
    as = await startAuthorizationServer({ scopes: SCOPES, grantableScopes: ['tools:call'] });
    const served = await startServe(as.issuer);
    as.setResource(served.url.href);
    const oauth = new TestOAuthClient();
    const seen: Array<{ status: number; challenge: string | null }> = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      seen.push({ status: response.status, challenge: response.headers.get('www-authenticate') });
      return response;
    };
    const { client } = await connectWithOAuth(served.url, oauth, recording);
    const clientId = oauth.clientInformation()?.client_id;
    try {
      expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      expect(JSON.stringify(sum.content)).toContain('5');
      await expect(client.callTool({ name: 'get-env', arguments: {} })).rejects.toThrow();
      expect(seen.find((s) => s.status === 403)?.challenge).toMatch(/^Bearer error="insufficient_scope", .*scope="tools:call tools:env"/);
    } finally {
      await client.close();
    }
    // The client's close ends the session (DELETE): its session-end record follows.
    const ended = await eventually(() => auditRecords(served.audit).some((r) => r.type === 'session-end'), 20_000);
    expect(ended).toBe(true);
    const records = auditRecords(served.audit);
    const mine = records;
    expect(mine.length).toBeGreaterThan(2);
    for (const record of mine) expect(record).toMatchObject({ subject: 'alice', clientId });
    // The 403 was decided by serve: the sandbox's gate saw no get-env call.
    expect(mine.some((r) => r.tool === 'get-env')).toBe(false);
    expect(mine.some((r) => r.tool === 'get-sum')).toBe(true);
  });
});
