/**
 * Signing keys and access tokens like an issuer's (RFC 9068), or deliberately wrong ones (other
 * audience, expired, other key, alg none, HS256) for negative tests.
 */
import { exportJWK, generateKeyPair, SignJWT, type GenerateKeyPairResult, type JWK } from 'jose';

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

export const ALG = 'ES256';
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

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
