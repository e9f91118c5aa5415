/**
 * The Protected Resource Metadata document and its path (RFC 9728), tool-call scopes
 * (authorizeTool, deny by default) and the configuration checks of createServeAuth.
 */
import { SandboxError } from '../../../../src/errors.js';
import { createServeAuth } from '../../../../src/serve/auth/index.js';
import { metadataPathFor } from '../../../../src/serve/auth/metadata.js';
import type { AuthFailure, Principal, ServeAuthConfig } from '../../../../src/serve/auth/types.js';

const ISSUER = 'https://as.example.test';
const SCOPES = new Map([
  ['tools:call', ['*']],
  ['tools:write', ['write_*', 'delete_*']],
]);
const METADATA_URL = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';

function principal(...scopes: string[]): Principal {
  return { subject: 'alice', scopes: new Set(scopes) };
}

function refusal(result: { ok: true } | AuthFailure): AuthFailure {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

describe('Protected Resource Metadata', () => {
  it('puts the well-known segment before the resource path (RFC 9728 §3.1)', () => {
    expect(metadataPathFor(new URL('https://h.example.test/mcp'))).toBe('/.well-known/oauth-protected-resource/mcp');
    expect(metadataPathFor(new URL('https://h.example.test'))).toBe('/.well-known/oauth-protected-resource');
    expect(metadataPathFor(new URL('https://h.example.test/'))).toBe('/.well-known/oauth-protected-resource');
    expect(metadataPathFor(new URL('https://h.example.test/a/mcp/'))).toBe('/.well-known/oauth-protected-resource/a/mcp/');
  });

  it('describes the resource, its authorization server and scopes', async () => {
    const auth = await createServeAuth({ issuer: ISSUER, scopes: SCOPES }, 'https://mcp.example.test/mcp');
    expect(auth.metadataPath).toBe('/.well-known/oauth-protected-resource/mcp');
    expect(auth.metadata()).toEqual({
      resource: 'https://mcp.example.test/mcp',
      authorization_servers: [ISSUER],
      scopes_supported: ['tools:call', 'tools:write'],
      bearer_methods_supported: ['header'],
    });
    // A copy each time: the server may not change what later requests see.
    (auth.metadata().authorization_servers as string[]).push('https://evil.example.test');
    expect(auth.metadata().authorization_servers).toEqual([ISSUER]);
  });
});

describe('authorizeTool', () => {
  let config: ServeAuthConfig;
  beforeEach(() => {
    config = { issuer: ISSUER, scopes: SCOPES };
  });

  it('needs every scope whose globs match the tool', async () => {
    const auth = await createServeAuth(config, 'https://mcp.example.test/mcp');
    expect(auth.authorizeTool(principal('tools:call'), 'read_file')).toEqual({ ok: true });
    expect(auth.authorizeTool(principal('tools:call', 'tools:write'), 'write_file')).toEqual({ ok: true });
    const denied = refusal(auth.authorizeTool(principal('tools:call'), 'delete_file'));
    expect(denied.status).toBe(403);
    expect(denied.headers['WWW-Authenticate']).toBe(
      `Bearer error="insufficient_scope", error_description="the tool needs scope tools:call tools:write", scope="tools:call tools:write", resource_metadata="${METADATA_URL}"`,
    );
    expect(denied.body).toEqual({ error: 'insufficient_scope', error_description: 'tool "delete_file" needs scope tools:call tools:write' });
    expect(refusal(auth.authorizeTool(principal('tools:write'), 'write_file')).status).toBe(403);
  });

  it('denies a tool that no scope grants, without asking the client to re-authorize', async () => {
    const auth = await createServeAuth({ issuer: ISSUER, scopes: new Map([['tools:write', ['write_*']]]) }, 'https://mcp.example.test/mcp');
    const denied = refusal(auth.authorizeTool(principal('tools:write', 'tools:call'), 'read_file'));
    expect(denied.status).toBe(403);
    expect(denied.headers).toEqual({ 'WWW-Authenticate': `Bearer resource_metadata="${METADATA_URL}"` });
    expect(denied.body.error).toBe('access_denied');
  });

  it('matches globs like the gate: * stops at /, ** crosses it', async () => {
    const auth = await createServeAuth({ issuer: ISSUER, scopes: new Map([['a', ['ns/*']], ['b', ['deep/**']]]) }, 'https://mcp.example.test/mcp');
    expect(auth.authorizeTool(principal('a'), 'ns/x').ok).toBe(true);
    expect(auth.authorizeTool(principal('a'), 'ns/x/y').ok).toBe(false);
    expect(auth.authorizeTool(principal('b'), 'deep/x/y').ok).toBe(true);
  });

  it('keeps tool names out of the header', async () => {
    const auth = await createServeAuth(config, 'https://mcp.example.test/mcp');
    const denied = refusal(auth.authorizeTool(principal(), 'write_"x"\r\nSet-Cookie: a=b'));
    expect(denied.headers['WWW-Authenticate']).not.toMatch(/Set-Cookie|\r|\n/);
    expect(denied.body.error_description).toContain('write_\\"x\\"\\r\\nSet-Cookie');
  });
});

describe('createServeAuth configuration checks', () => {
  const expectInvalid = async (config: ServeAuthConfig, resource: string, code: string, message: RegExp): Promise<void> => {
    const error = await createServeAuth(config, resource).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe(code);
    expect((error as SandboxError).message).toMatch(message);
  };

  it('refuses an http issuer or JWKS unless it is on loopback', async () => {
    await expectInvalid({ issuer: 'http://as.example.test', scopes: SCOPES }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /serve\.auth\.issuer must be an https URL/);
    await expectInvalid({ issuer: ISSUER, jwksUri: 'http://as.example.test/jwks', scopes: SCOPES }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /jwksUri/);
    await expectInvalid({ issuer: `${ISSUER}/?tenant=1`, scopes: SCOPES }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /query or fragment/);
    await expectInvalid({ issuer: 'not a url', scopes: SCOPES }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /not an absolute URL/);
    await expect(createServeAuth({ issuer: 'http://127.0.0.1:9', scopes: SCOPES }, 'http://127.0.0.1:8080/mcp')).resolves.toBeDefined();
  });

  it('refuses scope names that cannot appear in a challenge, and empty glob lists', async () => {
    await expectInvalid({ issuer: ISSUER, scopes: new Map([['two words', ['*']]]) }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /not a valid OAuth scope/);
    await expectInvalid({ issuer: ISSUER, scopes: new Map([['q"', ['*']]]) }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /not a valid OAuth scope/);
    await expectInvalid({ issuer: ISSUER, scopes: new Map() }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /scopes is empty/);
    await expectInvalid({ issuer: ISSUER, scopes: new Map([['a', []]]) }, 'https://h.example.test/mcp', 'PROFILE_INVALID', /at least one tool glob/);
  });

  it('refuses a resource URL with a query, fragment or credentials', async () => {
    for (const resource of ['https://h.example.test/mcp?x=1', 'https://h.example.test/mcp#f', 'https://u:p@h.example.test/mcp', 'ftp://h.example.test/mcp', 'mcp']) {
      await expectInvalid({ issuer: ISSUER, scopes: SCOPES }, resource, 'USAGE', /public URL/);
    }
  });
});
