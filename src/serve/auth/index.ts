/**
 * `serve`'s OAuth 2.1 resource server (MCP authorization spec): Protected Resource Metadata,
 * bearer JWT verification against the issuer's keys, and tool-call scopes. The HTTP side calls
 * it through the `ServeAuth` contract (types.ts); see docs/serve-auth.md.
 */
import { SandboxError } from '../../errors.js';
import { missingToken, invalidToken, insufficientScope, toolNotGranted } from './challenge.js';
import { checkFetchableUrl, DiscoveryError, keySource } from './discovery.js';
import { metadataDocument, metadataPathFor, metadataUrlFor, parseResourceUrl } from './metadata.js';
import { compileScopes, requiredScopes } from './scopes.js';
import type { JWTVerifyGetKey } from 'jose';
import { TokenCache } from './token-cache.js';
import type { AuthFailure, AuthResult, Principal, ServeAuth, ServeAuthConfig } from './types.js';
import { bearerToken, verifyToken } from './verify.js';

export type { AuthFailure, AuthResult, Principal, ServeAuth, ServeAuthConfig } from './types.js';

export interface ServeAuthOptions {
  /** Seconds of clock skew allowed on exp/nbf; default 30. */
  clockToleranceSeconds?: number;
  /** Timeout of each metadata and JWKS fetch; default 5000 ms. */
  timeoutMs?: number;
  /** After a failed discovery, requests answer 401 at once for this long before it is retried; default 10 s. */
  retryAfterMs?: number;
  /** Diagnostics for the operator (stderr in `serve`); never carries a token. */
  log?: (message: string) => void;
}

/**
 * Checks the configuration (throws `SandboxError`) and returns the resource server. Nothing is
 * fetched here: an authorization server that is down at start-up makes requests fail with 401
 * until it answers, it does not stop `serve`.
 */
export async function createServeAuth(config: ServeAuthConfig, resourceUrl: string, options: ServeAuthOptions = {}): Promise<ServeAuth> {
  const resource = parseResourceUrl(resourceUrl);
  const issuer = checkFetchableUrl(config.issuer, 'serve.auth.issuer');
  // RFC 8414 §2: an issuer identifier has no query or fragment.
  if (issuer.search || issuer.hash) throw new SandboxError('PROFILE_INVALID', 'serve.auth.issuer must not carry a query or fragment');
  const rules = compileScopes(config.scopes);
  const log = options.log ?? ((): void => undefined);
  const keys = keySource(config.issuer, config.jwksUri, { timeoutMs: options.timeoutMs ?? 5000, retryAfterMs: options.retryAfterMs ?? 10_000, log });
  const metadataUrl = metadataUrlFor(resource);
  const verifyOptions = { issuer: config.issuer, audience: config.audience ?? resourceUrl, clockToleranceSeconds: options.clockToleranceSeconds ?? 30 };
  const document = metadataDocument(resourceUrl, config.issuer, config.scopes.keys());
  const verified = new TokenCache();

  return {
    metadataPath: metadataPathFor(resource),
    metadata: () => structuredClone(document),
    async authenticate(authorization): Promise<AuthResult> {
      const bearer = bearerToken(authorization);
      if (bearer === undefined) return missingToken(metadataUrl);
      if ('malformed' in bearer) return invalidToken(metadataUrl, 'the Authorization header does not carry a well-formed bearer token');
      const known = verified.get(bearer.token);
      if (known !== undefined) return { ok: true, principal: known };
      let getKey: JWTVerifyGetKey;
      try {
        getKey = await keys.keys();
      } catch (error) {
        const why = error instanceof DiscoveryError ? error.message : 'discovery failed';
        return invalidToken(metadataUrl, `the token cannot be verified: the authorization server's metadata is unavailable (${why})`);
      }
      const verdict = await verifyToken(bearer.token, getKey, verifyOptions);
      if (verdict.ok) {
        verified.set(bearer.token, verdict.principal, verdict.expiresAt);
        return { ok: true, principal: verdict.principal };
      }
      if (verdict.keysUnavailable) log(`serve.auth: verifying a token failed: ${verdict.cause}`);
      return invalidToken(metadataUrl, verdict.description);
    },
    authorizeTool(principal: Principal, tool: string): { ok: true } | AuthFailure {
      const needed = requiredScopes(rules, tool);
      if (needed.length === 0) return toolNotGranted(metadataUrl, tool);
      const missing = needed.filter((scope) => !principal.scopes.has(scope));
      return missing.length === 0 ? { ok: true } : insufficientScope(metadataUrl, needed, tool);
    },
  };
}
