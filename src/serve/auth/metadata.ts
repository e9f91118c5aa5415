/**
 * Protected Resource Metadata (RFC 9728): where the document lives and what it says. MCP
 * clients find the authorization server through it, from the `resource_metadata` URL of a 401.
 */
import { SandboxError } from '../../errors.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** The resource URL, checked: absolute http(s), no fragment and no query (RFC 9728 §1.2). */
export function parseResourceUrl(resourceUrl: string): URL {
  let url: URL;
  try {
    url = new URL(resourceUrl);
  } catch {
    throw new SandboxError('USAGE', `the public URL "${resourceUrl}" is not an absolute URL`, { hint: 'pass --public-url https://host/mcp' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SandboxError('USAGE', `the public URL must be http(s), got ${url.protocol}`);
  if (url.search || url.hash || resourceUrl.includes('#')) throw new SandboxError('USAGE', 'the public URL must not carry a query or fragment (RFC 9728 resource identifier)');
  if (url.username || url.password) throw new SandboxError('USAGE', 'the public URL must not carry credentials');
  return url;
}

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the resource's path, so
 * https://h/mcp has its metadata at /.well-known/oauth-protected-resource/mcp; a terminating
 * "/" right after the host is dropped (https://h/ → /.well-known/oauth-protected-resource).
 */
export function metadataPathFor(resource: URL): string {
  return resource.pathname === '/' ? WELL_KNOWN : `${WELL_KNOWN}${resource.pathname}`;
}

/** The absolute URL of the metadata document, as a 401 names it. */
export function metadataUrlFor(resource: URL): string {
  return `${resource.origin}${metadataPathFor(resource)}`;
}

/** The document itself. `resource` is the configured URL verbatim: clients compare it as a string. */
export function metadataDocument(resourceUrl: string, issuer: string, scopes: Iterable<string>): Record<string, unknown> {
  return {
    resource: resourceUrl,
    authorization_servers: [issuer],
    scopes_supported: [...scopes],
    bearer_methods_supported: ['header'],
  };
}
