/**
 * A real OAuth 2.1 authorization server for tests (oidc-provider on 127.0.0.1): dynamic client
 * registration, PKCE required, resource indicators (RFC 8707) issuing JWT access tokens for one
 * resource. With it (oauth-client.ts) an `OAuthClientProvider` whose "browser" is scripted
 * (fetch with a cookie jar, submitting the dev login and consent forms), so the MCP SDK client's
 * authorization-code flow completes without a human; and (oauth-tokens.ts) bad tokens for
 * negative tests. Import everything from here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import type { Adapter, AdapterPayload, Configuration, ResourceServer } from 'oidc-provider';
import { ALG, TokenMinter } from './oauth-tokens.js';

export { ScriptedBrowser, TestOAuthClient, connectWithOAuth, type OAuthConnection } from './oauth-client.js';
export { TokenMinter, type TokenOptions } from './oauth-tokens.js';

export interface AuthorizationServerOptions {
  /** The resource (our MCP server's URL) tokens are issued for, their `aud`; or later, `setResource`. */
  resource?: string;
  /** Scopes the server knows: clients may register and ask for them. */
  scopes: readonly string[];
  /** Scopes it grants for the resource (default: all of `scopes`); a client asking for more gets only these. */
  grantableScopes?: readonly string[];
  /** Access token lifetime in seconds; default 600. */
  accessTokenTtl?: number;
}

export interface AuthorizationServer {
  issuer: string;
  /** Tokens with the server's own key (as it would issue them) or, for negative tests, bent. */
  tokens: TokenMinter;
  /** The resource to issue tokens for, when it was not known at start (a server started after this one). */
  setResource(resource: string): void;
  close(): Promise<void>;
}

export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = await TokenMinter.create({ issuer, audience: options.resource ?? '', scope: options.scopes.join(' ') });
  const { Provider, errors } = await quietly(() => import('oidc-provider'));
  const jwk = await tokens.privateJwk();
  const resource = (): string => tokens.defaults.audience;
  const provider = await quietly(async () => new Provider(issuer, providerConfiguration(options, resource, jwk, errors.InvalidTarget)));
  server.on('request', provider.callback());
  return {
    issuer,
    tokens,
    setResource: (url) => {
      tokens.defaults.audience = url;
    },
    close: () => closeServer(server),
  };
}

/** Closes a test server, cutting keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * oidc-provider warns that devInteractions are for development (they are what this is for) and,
 * on import, that it prefers Node 22 (it runs on the project's Node 20).
 */
async function quietly<T>(create: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => {
    if (!/devInteractions|Unsupported runtime/.test(String(args[0]))) warn(...args);
  };
  try {
    return await create();
  } finally {
    console.warn = warn;
  }
}

function providerConfiguration(
  options: AuthorizationServerOptions,
  resource: () => string,
  jwk: JWK,
  InvalidTarget: new (description?: string) => Error,
): Configuration {
  const resourceServer = (): ResourceServer => ({
    scope: (options.grantableScopes ?? options.scopes).join(' '),
    audience: resource(),
    accessTokenTTL: options.accessTokenTtl ?? 600,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: ALG } },
  });
  const ttl = (seconds: number) => (): number => seconds;
  return {
    adapter: memoryAdapter(),
    jwks: { keys: [jwk] },
    cookies: { keys: ['oauth-test-cookie-key'] },
    pkce: { required: () => true },
    clientDefaults: { id_token_signed_response_alg: ALG },
    scopes: ['openid', 'offline_access', ...options.scopes],
    ttl: {
      AccessToken: ttl(options.accessTokenTtl ?? 600),
      AuthorizationCode: ttl(60),
      ClientCredentials: ttl(600),
      DeviceCode: ttl(600),
      BackchannelAuthenticationRequest: ttl(600),
      PreAuthorizedCode: ttl(600),
      IdToken: ttl(600),
      RefreshToken: ttl(3600),
      Interaction: ttl(600),
      Session: ttl(3600),
      Grant: ttl(3600),
    },
    clientBasedCORS: () => false,
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'text/plain';
      ctx.body = `authorization server error: ${out.error} ${out.error_description ?? ''}`;
    },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource(),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== resource()) throw new InvalidTarget(`unknown resource ${indicator}`);
          return resourceServer();
        },
      },
    },
  };
}

/** oidc-provider's storage contract over Maps (its own in-memory adapter warns on every start). */
function memoryAdapter(): (name: string) => Adapter {
  const store = new Map<string, AdapterPayload>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  return (name) => {
    const key = (id: string): string => `${name}:${id}`;
    return {
      async upsert(id, payload) {
        store.set(key(id), payload);
        if (payload.uid) byUid.set(payload.uid, key(id));
        if (payload.userCode) byUserCode.set(payload.userCode, key(id));
        if (payload.grantId) byGrant.set(payload.grantId, (byGrant.get(payload.grantId) ?? new Set()).add(key(id)));
      },
      find: async (id) => store.get(key(id)),
      findByUid: async (uid) => store.get(byUid.get(uid) ?? ''),
      findByUserCode: async (userCode) => store.get(byUserCode.get(userCode) ?? ''),
      async consume(id) {
        const payload = store.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const stored of byGrant.get(grantId) ?? []) store.delete(stored);
        byGrant.delete(grantId);
      },
    };
  };
}
