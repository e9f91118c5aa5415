/**
 * The MCP SDK client's side of an OAuth flow without a human: a scripted user agent for the
 * authorization endpoint and an in-memory `OAuthClientProvider` that uses it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

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
