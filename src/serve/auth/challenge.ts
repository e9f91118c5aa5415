/**
 * The 401/403 answers (RFC 6750 §3, RFC 9728 §5.1). Header values are built only from our own
 * fixed texts, configured scope names and the metadata URL, never from the request, so neither
 * a token nor a tool name can reach a header (no echo, no header injection).
 */
import type { AuthFailure } from './types.js';

/** RFC 6750 error_description: printable ASCII without `"` and `\`. */
const DESCRIPTION_CHARS = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

function quoted(value: string): string {
  return `"${value.replace(DESCRIPTION_CHARS, '?')}"`;
}

function bearer(params: ReadonlyArray<readonly [string, string | undefined]>): string {
  const parts = params.filter((param): param is readonly [string, string] => param[1] !== undefined);
  return `Bearer ${parts.map(([name, value]) => `${name}=${quoted(value)}`).join(', ')}`;
}

/** No usable credentials: the bare challenge, no error code (RFC 6750 §3.1). */
export function missingToken(metadataUrl: string): AuthFailure {
  return {
    ok: false,
    status: 401,
    headers: { 'WWW-Authenticate': bearer([['resource_metadata', metadataUrl]]) },
    body: { error: 'invalid_request', error_description: 'this resource needs a bearer token in the Authorization header; its metadata names the authorization server' },
  };
}

/** A token was given and is not accepted. `description` is one of our fixed texts. */
export function invalidToken(metadataUrl: string, description: string): AuthFailure {
  return {
    ok: false,
    status: 401,
    headers: { 'WWW-Authenticate': bearer([['error', 'invalid_token'], ['error_description', description], ['resource_metadata', metadataUrl]]) },
    body: { error: 'invalid_token', error_description: description },
  };
}

/** The token lacks scopes a tool needs; `scope` names all of them so a client can step up. */
export function insufficientScope(metadataUrl: string, needed: readonly string[], tool: string): AuthFailure {
  const description = `the tool needs scope ${needed.join(' ')}`;
  return {
    ok: false,
    status: 403,
    headers: {
      'WWW-Authenticate': bearer([['error', 'insufficient_scope'], ['error_description', description], ['scope', needed.join(' ')], ['resource_metadata', metadataUrl]]),
    },
    body: { error: 'insufficient_scope', error_description: `tool ${JSON.stringify(clip(tool))} needs scope ${needed.join(' ')}` },
  };
}

/**
 * No configured scope grants the tool: denied whatever the token holds. No `insufficient_scope`
 * code, since no scope would help and clients answer that code by asking the user to authorize again.
 */
export function toolNotGranted(metadataUrl: string, tool: string): AuthFailure {
  return {
    ok: false,
    status: 403,
    headers: { 'WWW-Authenticate': bearer([['resource_metadata', metadataUrl]]) },
    body: { error: 'access_denied', error_description: `no scope in serve.auth.scopes grants tool ${JSON.stringify(clip(tool))}` },
  };
}

function clip(text: string): string {
  return text.length > 128 ? `${text.slice(0, 128)}…` : text;
}
