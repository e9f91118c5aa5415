/**
 * The contract between `serve`'s HTTP side (src/serve/) and its OAuth 2.1 resource-server part
 * (src/serve/auth/): the server asks `authenticate` for every request that reaches MCP and
 * `authorizeTool` for every `tools/call`, and serves `metadata` at `metadataPath`.
 */

/** `serve.auth` of a profile, normalized. */
export interface ServeAuthConfig {
  /** The authorization server's issuer URL; its metadata and JWKS are discovered from it. */
  issuer: string;
  /** The audience a token must carry: our resource URL (RFC 8707). Defaults to the public URL. */
  audience?: string;
  /** Scope → tool-name globs it grants for `tools/call`. A call needs every scope whose globs match its tool. */
  scopes: ReadonlyMap<string, readonly string[]>;
  /** Overrides discovery of the issuer's JWKS. */
  jwksUri?: string;
}

/** Who a verified token speaks for; goes into every audit record of the session. */
export interface Principal {
  subject: string;
  clientId?: string;
  scopes: ReadonlySet<string>;
}

/** An HTTP answer the server sends as it is: 401 or 403 with `WWW-Authenticate`. */
export interface AuthFailure {
  ok: false;
  status: 401 | 403;
  headers: Readonly<Record<string, string>>;
  /** JSON body: `{ error, error_description }`. */
  body: { error: string; error_description: string };
}

export type AuthResult = { ok: true; principal: Principal } | AuthFailure;

export interface ServeAuth {
  /** Path of the Protected Resource Metadata document (RFC 9728), e.g. /.well-known/oauth-protected-resource. */
  readonly metadataPath: string;
  /** The metadata document. */
  metadata(): Record<string, unknown>;
  /** Checks the request's `Authorization` header value. */
  authenticate(authorization: string | undefined): Promise<AuthResult>;
  /** May `principal` call `tool`? A 403 `insufficient_scope` names the scopes it needs. */
  authorizeTool(principal: Principal, tool: string): { ok: true } | AuthFailure;
}
