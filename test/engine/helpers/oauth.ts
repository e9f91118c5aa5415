/**
 * A real OAuth 2.1 authorization server for tests (oidc-provider on 127.0.0.1): dynamic client
 * registration, PKCE required, resource indicators (RFC 8707) issuing JWT access tokens for one
 * resource. With it an `OAuthClientProvider` whose "browser" is scripted (fetch with a cookie
 * jar, submitting the dev login and consent forms), so the MCP SDK client's authorization-code
 * flow completes without a human; and minting of bad tokens for negative tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult, type JWK } from 'jose';
import type { Adapter, AdapterPayload, Configuration, ResourceServer } from 'oidc-provider';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

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

export interface TokenOptions {
  audience?: string;
  issuer?: string;
  /** `null`: no `sub` claim. */
  subject?: string | null;
  scope?: string;
  clientId?: string;
  /** Seconds from now; negative for an expired token. Default 300. */
  expiresIn?: number;
  /** Seconds from now for `nbf`. */
  notBefore?: number;
  /** Sign with a key the issuer does not publish (same `kid`). */
  otherKey?: boolean;
  typ?: string;
  /** More claims, e.g. `scp`, `azp`. */
  claims?: Record<string, unknown>;
}

const ALG = 'ES256';
const KID = 'test-key-1';

/** An issuer's signing key and tokens made with it (or deliberately not), for negative tests. */
export class TokenMinter {
  private constructor(
    /** What `mint` puts in when not told otherwise; `audience` may change (setResource). */
    readonly defaults: { issuer: string; audience: string; scope: string },
    private readonly key: GenerateKeyPairResult,
    private readonly otherKey: GenerateKeyPairResult,
  ) {}

  static async create(defaults: { issuer: string; audience: string; scope: string }): Promise<TokenMinter> {
    return new TokenMinter(defaults, await generateKeyPair(ALG, { extractable: true }), await generateKeyPair(ALG));
  }

  /** The private JWK, for an authorization server that signs with it. */
  async privateJwk(): Promise<JWK> {
    return { ...(await exportJWK(this.key.privateKey)), kid: KID, alg: ALG, use: 'sig' };
  }

  /** The JWKS document an issuer publishes. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [{ ...(await exportJWK(this.key.publicKey)), kid: KID, alg: ALG, use: 'sig' }] };
  }

  mint(options: TokenOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { scope: options.scope ?? this.defaults.scope, client_id: options.clientId ?? 'minted-client', ...options.claims };
    if (options.subject !== null) payload.sub = options.subject ?? 'minted-user';
    if (options.notBefore !== undefined) payload.nbf = now + options.notBefore;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: ALG, typ: options.typ ?? 'at+jwt', kid: KID })
      .setIssuer(options.issuer ?? this.defaults.issuer)
      .setAudience(options.audience ?? this.defaults.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(options.otherKey ? this.otherKey.privateKey : this.key.privateKey);
  }

  /** A valid token's claims unsigned (alg none) and HS256-signed with the public key as the secret (key confusion). */
  async mintUnsafe(options: TokenOptions = {}): Promise<{ none: string; hs256: string }> {
    const [, body] = (await this.mint(options)).split('.');
    const none = `${base64url(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${body}.`;
    const hs256 = await new SignJWT(JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as Record<string, unknown>)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: KID })
      .sign(new TextEncoder().encode(JSON.stringify((await this.jwks()).keys[0])));
    return { none, hs256 };
  }
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

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
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

/**
 * A user agent for the authorization endpoint: follows redirects with cookies, signs in at the
 * dev login form (any login is an account; it becomes the token's `sub`), confirms consent, and
 * stops at the redirect to `redirectUri`, returning its `code`.
 */
export class ScriptedBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly login = 'alice') {}

  async authorize(authorizationUrl: URL, redirectUri: string): Promise<string> {
    let next: { url: string; init?: RequestInit } = { url: authorizationUrl.href };
    for (let step = 0; step < 20; step++) {
      if (next.url.startsWith(redirectUri)) return codeOf(new URL(next.url));
      const response = await fetch(next.url, { ...next.init, redirect: 'manual', headers: { ...next.init?.headers, cookie: this.cookieHeader() } });
      this.keepCookies(response);
      const location = response.headers.get('location');
      if (location !== null) {
        await response.body?.cancel();
        next = { url: new URL(location, next.url).href };
        continue;
      }
      const page = await response.text();
      if (!response.ok) throw new Error(`authorization failed: HTTP ${response.status}: ${page.slice(0, 300)}`);
      next = this.submit(page, next.url);
    }
    throw new Error('authorization did not reach the redirect URI within 20 steps');
  }

  /** The one form on a dev interaction page, filled in. */
  private submit(page: string, pageUrl: string): { url: string; init: RequestInit } {
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (action === undefined) throw new Error(`no form on the authorization page: ${page.slice(0, 300)}`);
    const form = new URLSearchParams();
    for (const [, name, value] of page.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(name!, value!);
    if (form.get('prompt') === 'login') {
      form.set('login', this.login);
      form.set('password', 'any');
    }
    return {
      url: new URL(action.replace(/&amp;/g, '&'), pageUrl).href,
      init: { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    };
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keepCookies(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function codeOf(redirect: URL): string {
  const error = redirect.searchParams.get('error');
  if (error !== null) throw new Error(`authorization refused: ${error} ${redirect.searchParams.get('error_description') ?? ''}`);
  const code = redirect.searchParams.get('code');
  if (code === null) throw new Error('the redirect carries no code');
  return code;
}

/**
 * An MCP SDK `OAuthClientProvider` kept in memory: registers dynamically (public client, PKCE),
 * and "redirects" by running the scripted browser, keeping the code for `finishAuth`.
 */
export class TestOAuthClient implements OAuthClientProvider {
  readonly redirectUrl = 'http://127.0.0.1:1/oauth/callback';
  /** Every authorization URL the SDK sent the user to. */
  readonly authorizationUrls: URL[] = [];
  private client?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier = '';
  private code?: string;

  constructor(private readonly browser = new ScriptedBrowser()) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'mcp-sandbox test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.client = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    this.code = await this.browser.authorize(authorizationUrl, this.redirectUrl);
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  /** The code of the last authorization, once. */
  takeCode(): string {
    const code = this.code;
    if (code === undefined) throw new Error('no authorization code: the SDK did not redirect');
    this.code = undefined;
    return code;
  }
}

export interface OAuthConnection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * Connects the SDK's Streamable HTTP client the way an app does: the first attempt gets the 401,
 * discovers, registers and sends the user to authorize (`UnauthorizedError`); `finishAuth` trades
 * the code for a token; the second attempt connects with it.
 */
export async function connectWithOAuth(url: URL, oauth: TestOAuthClient, fetchFn?: typeof fetch): Promise<OAuthConnection> {
  const attempt = async (): Promise<OAuthConnection> => {
    const transport = new StreamableHTTPClientTransport(url, { authProvider: oauth, ...(fetchFn ? { fetch: fetchFn } : {}) });
    const client = new Client({ name: 'mcp-sandbox-oauth-test', version: '1.0.0' });
    await client.connect(transport);
    return { client, transport };
  };
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  const transport = new StreamableHTTPClientTransport(url, { authProvider: oauth, ...(fetchFn ? { fetch: fetchFn } : {}) });
  await transport.finishAuth(oauth.takeCode());
  return attempt();
}
