/**
 * Finding the issuer's keys: RFC 8414 first, OpenID configuration second, the metadata's issuer
 * checked, failures as 401s (never a throw), results cached, jwksUri skipping discovery.
 */
import { createServeAuth, type ServeAuthOptions } from '../../../../src/serve/auth/index.js';
import { discoveryUrls } from '../../../../src/serve/auth/discovery.js';
import type { AuthResult } from '../../../../src/serve/auth/types.js';
import { RESOURCE, startLocalIssuer, type LocalIssuer, type LocalIssuerOptions } from './local-issuer.js';

const SCOPES = new Map([['tools:call', ['*']]]);
const open: LocalIssuer[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});

async function issuerWith(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const issuer = await startLocalIssuer(options);
  open.push(issuer);
  return issuer;
}

async function authenticateOnce(issuer: LocalIssuer, options: ServeAuthOptions = {}, config: { jwksUri?: string } = {}): Promise<{ result: AuthResult; logs: string[] }> {
  const logs: string[] = [];
  const auth = await createServeAuth({ issuer: issuer.issuer, scopes: SCOPES, ...config }, RESOURCE, { ...options, log: (line) => logs.push(line) });
  const token = await issuer.tokens.mint();
  const result = await auth.authenticate(`Bearer ${token}`);
  // Whatever went wrong, neither the client's answer nor the operator's log carries the token.
  for (const part of token.split('.')) expect(JSON.stringify([result, logs])).not.toContain(part);
  return { result, logs };
}

function description(result: AuthResult): string {
  if (result.ok) throw new Error('expected a refusal');
  expect(result.status).toBe(401);
  expect(result.body.error).toBe('invalid_token');
  return result.body.error_description;
}

describe('issuer discovery', () => {
  it('builds the RFC 8414 (inserted) and OpenID (appended) locations', () => {
    expect(discoveryUrls('https://as.example.test')).toEqual([
      'https://as.example.test/.well-known/oauth-authorization-server',
      'https://as.example.test/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls('https://tenant.example.test/')).toEqual([
      'https://tenant.example.test/.well-known/oauth-authorization-server',
      'https://tenant.example.test/.well-known/openid-configuration',
    ]);
    expect(discoveryUrls('https://kc.example.test/realms/mcp')).toEqual([
      'https://kc.example.test/.well-known/oauth-authorization-server/realms/mcp',
      'https://kc.example.test/realms/mcp/.well-known/openid-configuration',
    ]);
  });

  it('uses RFC 8414 metadata when it is there', async () => {
    const issuer = await issuerWith({ documents: ['oauth'] });
    expect((await authenticateOnce(issuer)).result.ok).toBe(true);
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server', '/keys']);
  });

  it('falls back to the OpenID configuration, also for an issuer with a path', async () => {
    const issuer = await issuerWith({ documents: ['openid'], path: '/realms/mcp' });
    expect((await authenticateOnce(issuer)).result.ok).toBe(true);
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server/realms/mcp', '/realms/mcp/.well-known/openid-configuration', '/keys']);
  });

  it('fetches metadata and keys once for many tokens', async () => {
    const issuer = await issuerWith({});
    const auth = await createServeAuth({ issuer: issuer.issuer, scopes: SCOPES }, RESOURCE);
    const results = await Promise.all([1, 2, 3].map(async () => auth.authenticate(`Bearer ${await issuer.tokens.mint()}`)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await auth.authenticate(`Bearer ${await issuer.tokens.mint()}`)).ok).toBe(true);
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server', '/keys']);
  });

  it('refuses metadata that names another issuer', async () => {
    const issuer = await issuerWith({ documentIssuer: 'https://evil.example.test' });
    const { result, logs } = await authenticateOnce(issuer);
    expect(description(result)).toMatch(/is for issuer .*evil\.example\.test/);
    expect(logs.join('\n')).toMatch(/discovery of .* failed/);
    expect(issuer.requests).not.toContain('/keys');
  });

  it('refuses metadata without jwks_uri', async () => {
    const issuer = await issuerWith({ noJwksUri: true });
    expect(description((await authenticateOnce(issuer)).result)).toMatch(/no jwks_uri/);
  });

  it('answers 401 while the issuer cannot be reached, and retries after the interval', async () => {
    const issuer = await issuerWith({ failFirst: 2 });
    const auth = await createServeAuth({ issuer: issuer.issuer, scopes: SCOPES }, RESOURCE, { retryAfterMs: 300, log: () => undefined });
    const token = await issuer.tokens.mint();
    expect(description(await auth.authenticate(`Bearer ${token}`))).toMatch(/metadata is unavailable .*HTTP 503.*HTTP 503/);
    // Within the retry interval the failure is answered from memory, no request.
    const before = issuer.requests.length;
    expect((await auth.authenticate(`Bearer ${token}`)).ok).toBe(false);
    expect(issuer.requests).toHaveLength(before);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await auth.authenticate(`Bearer ${token}`)).ok).toBe(true);
    expect(issuer.requests.length).toBeGreaterThan(before);
  });

  it('answers 401 when nothing listens at the issuer', async () => {
    const issuer = await issuerWith({});
    const token = await issuer.tokens.mint();
    const gone = issuer.issuer;
    await open.splice(0)[0]!.close();
    const auth = await createServeAuth({ issuer: gone, scopes: SCOPES }, RESOURCE, { timeoutMs: 2000, log: () => undefined });
    const result = await auth.authenticate(`Bearer ${token}`);
    expect(description(result)).toMatch(/unreachable \(ECONNREFUSED\)/);
    expect(JSON.stringify(result)).not.toContain(token.split('.')[2]);
  });

  it('uses the configured jwksUri without discovery, and says when the keys cannot be fetched', async () => {
    const issuer = await issuerWith({});
    expect((await authenticateOnce(issuer, {}, { jwksUri: issuer.jwksUri })).result.ok).toBe(true);
    expect(issuer.requests).toEqual(['/keys']);
    const { result, logs } = await authenticateOnce(issuer, {}, { jwksUri: `${new URL(issuer.jwksUri).origin}/missing` });
    expect(description(result)).toMatch(/signing keys could not be fetched/);
    expect(logs.join('\n')).toMatch(/verifying a token failed/);
  });
});
