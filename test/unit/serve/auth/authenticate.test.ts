/**
 * ServeAuth.authenticate against a local issuer (metadata + JWKS on 127.0.0.1): which tokens
 * pass, and that every refusal is a 401 with the RFC 6750 / RFC 9728 challenge and no token in it.
 */
import { createServeAuth } from '../../../../src/serve/auth/index.js';
import type { AuthFailure, AuthResult, ServeAuth } from '../../../../src/serve/auth/types.js';
import type { TokenOptions } from '../../../engine/helpers/oauth.js';
import { RESOURCE, startLocalIssuer, type LocalIssuer } from './local-issuer.js';

const METADATA_URL = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';
const SCOPES = new Map([['tools:call', ['*']]]);

let issuer: LocalIssuer;
let auth: ServeAuth;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  auth = await createServeAuth({ issuer: issuer.issuer, scopes: SCOPES }, RESOURCE);
});

afterAll(async () => {
  await issuer.close();
});

function failure(result: AuthResult): AuthFailure {
  if (result.ok) throw new Error(`expected a refusal, got principal ${result.principal.subject}`);
  return result;
}

/** The refusal, checked for the things every invalid-token answer must have. */
async function refused(token: string): Promise<AuthFailure> {
  const result = failure(await auth.authenticate(`Bearer ${token}`));
  expect(result.status).toBe(401);
  expect(result.body.error).toBe('invalid_token');
  expect(result.headers['WWW-Authenticate']).toBe(
    `Bearer error="invalid_token", error_description="${result.body.error_description}", resource_metadata="${METADATA_URL}"`,
  );
  // Neither the token nor any of its parts appear in what goes back to the client.
  const text = JSON.stringify(result);
  for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(text).not.toContain(part);
  return result;
}

describe('ServeAuth.authenticate', () => {
  it('accepts a valid token and reads subject, client id and scopes', async () => {
    const result = await auth.authenticate(`Bearer ${await issuer.tokens.mint({ subject: 'alice', clientId: 'cli-1', scope: 'tools:call extra' })}`);
    expect(result).toEqual({ ok: true, principal: { subject: 'alice', clientId: 'cli-1', scopes: new Set(['tools:call', 'extra']) } });
  });

  it('reads azp when client_id is absent, scp as an array (Okta) or a string (Entra), and accepts typ JWT', async () => {
    const okta = await auth.authenticate(`Bearer ${await issuer.tokens.mint({ clientId: '', scope: '', claims: { azp: 'spa', scp: ['a', 'b'] } })}`);
    expect(okta).toEqual({ ok: true, principal: { subject: 'minted-user', clientId: 'spa', scopes: new Set(['a', 'b']) } });
    const entra = await auth.authenticate(`bearer ${await issuer.tokens.mint({ typ: 'JWT', scope: '', claims: { scp: 'x y' } })}`);
    expect(entra.ok && [...entra.principal.scopes]).toEqual(['x', 'y']);
  });

  it('answers a request without credentials with the bare challenge naming the metadata URL', async () => {
    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz']) {
      const result = failure(await auth.authenticate(header));
      expect(result.status).toBe(401);
      expect(result.headers).toEqual({ 'WWW-Authenticate': `Bearer resource_metadata="${METADATA_URL}"` });
    }
  });

  it('refuses a malformed bearer header without echoing it', async () => {
    for (const header of ['Bearer', 'Bearer a b', 'Bearer "secret-value"']) {
      const result = failure(await auth.authenticate(header));
      expect(result.body.error).toBe('invalid_token');
      expect(JSON.stringify(result)).not.toContain('secret-value');
    }
  });

  const cases: Array<[string, TokenOptions, RegExp]> = [
    ['another audience', { audience: 'https://other.example.test/mcp' }, /another audience/],
    ['an expired token', { expiresIn: -3600 }, /expired/],
    ['nbf in the future', { notBefore: 3600 }, /not valid yet/],
    ['another key', { otherKey: true }, /not signed by a key of the issuer/],
    ['another issuer', { issuer: 'https://evil.example.test' }, /another issuer/],
    ['no sub', { subject: null }, /no sub claim/],
    ['a typ that is not an access token', { typ: 'dpop+jwt' }, /not an access token/],
  ];
  it.each(cases)('refuses %s with 401 invalid_token', async (_name, options, description) => {
    const result = await refused(await issuer.tokens.mint(options));
    expect(result.body.error_description).toMatch(description);
  });

  it('refuses alg none and HS256 (the public key as the secret)', async () => {
    const { none, hs256 } = await issuer.tokens.mintUnsafe();
    expect((await refused(none)).body.error_description).toMatch(/not signed with an accepted algorithm|not a well-formed/);
    expect((await refused(hs256)).body.error_description).toMatch(/not signed with an accepted algorithm/);
  });

  it('refuses something that is not a JWT', async () => {
    expect((await refused('not-a-jwt-but-a-long-opaque-token')).body.error_description).toMatch(/well-formed/);
  });

  it('allows small clock skew on exp', async () => {
    expect((await auth.authenticate(`Bearer ${await issuer.tokens.mint({ expiresIn: -5 })}`)).ok).toBe(true);
  });

  it('checks the configured audience instead of the resource URL when one is set', async () => {
    const custom = await createServeAuth({ issuer: issuer.issuer, audience: 'api://mcp-sandbox', scopes: SCOPES }, RESOURCE);
    expect((await custom.authenticate(`Bearer ${await issuer.tokens.mint({ audience: 'api://mcp-sandbox' })}`)).ok).toBe(true);
    expect(failure(await custom.authenticate(`Bearer ${await issuer.tokens.mint()}`)).body.error_description).toMatch(/another audience/);
  });
});
