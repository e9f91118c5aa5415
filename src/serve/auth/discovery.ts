/**
 * The issuer's signing keys: from `jwksUri` when configured, else from its metadata, found the
 * RFC 8414 way (well-known inserted before the issuer's path) and then the OpenID Connect way
 * (appended). Found once and kept; jose's remote key set refetches on an unknown `kid` (key
 * rotation) with a cooldown, so a flood of bad tokens is not a flood of fetches.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { SandboxError } from '../../errors.js';

/** Why the keys could not be had; its message is safe to show a client (no token, no secret). */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

export interface KeySource {
  keys(): Promise<JWTVerifyGetKey>;
}

export interface DiscoveryOptions {
  timeoutMs: number;
  /** A failed discovery is retried after this long, not on every request. */
  retryAfterMs: number;
  log: (message: string) => void;
}

/** https, or http to a loopback host (a local authorization server, tests). */
export function checkFetchableUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SandboxError('PROFILE_INVALID', `${what}: ${JSON.stringify(value)} is not an absolute URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return url;
  throw new SandboxError('PROFILE_INVALID', `${what} must be an https URL (http only to a loopback host), got ${JSON.stringify(value)}`);
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Where the issuer's metadata may be, in the order tried. */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path.replace(/\/$/, '')}/.well-known/openid-configuration`];
}

export function keySource(issuer: string, jwksUri: string | undefined, options: DiscoveryOptions): KeySource {
  const remote = (uri: URL): JWTVerifyGetKey => createRemoteJWKSet(uri, { timeoutDuration: options.timeoutMs });
  if (jwksUri !== undefined) {
    const keys = remote(checkFetchableUrl(jwksUri, 'serve.auth.jwksUri'));
    return { keys: async () => keys };
  }
  let found: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = 0;
  return {
    keys(): Promise<JWTVerifyGetKey> {
      if (found === undefined || (failedAt !== 0 && Date.now() - failedAt >= options.retryAfterMs)) {
        failedAt = 0;
        found = discoverJwksUri(issuer, options).then(remote, (error: unknown) => {
          failedAt = Date.now();
          options.log(`serve.auth: discovery of ${issuer} failed: ${(error as Error).message}`);
          throw error;
        });
        // The rejection is also kept for callers within the retry interval; this one is handled there.
        found.catch(() => undefined);
      }
      return found;
    },
  };
}

async function discoverJwksUri(issuer: string, options: DiscoveryOptions): Promise<URL> {
  const misses: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    const document = await fetchMetadata(url, options.timeoutMs);
    if (typeof document === 'string') {
      misses.push(`${url}: ${document}`);
      continue;
    }
    // RFC 8414 §3.3 / OIDC Discovery §4.3: a document for another issuer is not this one's.
    if (document.issuer !== issuer) throw new DiscoveryError(`the metadata at ${url} is for issuer ${String(document.issuer).slice(0, 200)}, not ${issuer}`);
    if (typeof document.jwks_uri !== 'string') throw new DiscoveryError(`the metadata at ${url} has no jwks_uri`);
    try {
      return checkFetchableUrl(document.jwks_uri, `jwks_uri of ${issuer}`);
    } catch (error) {
      throw new DiscoveryError((error as Error).message);
    }
  }
  throw new DiscoveryError(`no authorization server metadata found (${misses.join('; ')})`);
}

/** The parsed document, or why there is none at `url` (then the next URL is tried). */
async function fetchMetadata(url: string, timeoutMs: number): Promise<Record<string, unknown> | string> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `unreachable (${causeOf(error)})`;
  }
  if (!response.ok) {
    await response.body?.cancel();
    return `HTTP ${response.status}`;
  }
  try {
    const document: unknown = await response.json();
    if (document !== null && typeof document === 'object' && !Array.isArray(document)) return document as Record<string, unknown>;
  } catch {
    // not JSON: reported below like any other unusable document
  }
  return 'not a JSON object';
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
