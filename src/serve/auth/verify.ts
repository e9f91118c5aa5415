/**
 * Bearer JWT access tokens (RFC 9068) checked with jose: signature by one of the issuer's keys
 * (asymmetric algorithms only: a shared-secret or unsigned token proves nothing here), `iss`,
 * `aud` (RFC 8707: our resource URL), `exp` (required) and `nbf`, a present `sub`.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Principal } from './types.js';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** JWT (most issuers) and at+jwt (RFC 9068 §2.1), with or without the application/ prefix. */
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

/** RFC 6750 b64token. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

export interface VerifyOptions {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
}

/** `expiresAt`: the token's `exp` in ms, for the token cache. */
export type Verdict = { ok: true; principal: Principal; expiresAt: number } | { ok: false; description: string; keysUnavailable?: boolean; cause?: string };

/** The bearer token of an Authorization header value; undefined when there is none at all. */
export function bearerToken(authorization: string | undefined): { token: string } | { malformed: true } | undefined {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  if (match === null) return /^Bearer\b/i.test(authorization) ? { malformed: true } : undefined;
  return TOKEN68.test(match[1]!) ? { token: match[1]! } : { malformed: true };
}

export async function verifyToken(token: string, keys: JWTVerifyGetKey, options: VerifyOptions): Promise<Verdict> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ASYMMETRIC_ALGORITHMS,
      clockTolerance: options.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
    });
    if (protectedHeader.typ !== undefined && !ACCEPTED_TYP.has(protectedHeader.typ.toLowerCase())) {
      return { ok: false, description: 'the token is not an access token (typ header)' };
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, description: 'the token has no subject (sub)' };
    return { ok: true, principal: principalOf(payload as JWTPayload & { sub: string }), expiresAt: payload.exp! * 1000 };
  } catch (error) {
    return describe(error);
  }
}

export function principalOf(payload: JWTPayload & { sub: string }): Principal {
  const clientId = [payload.client_id, payload.azp].find((value): value is string => typeof value === 'string' && value !== '');
  return { subject: payload.sub, ...(clientId === undefined ? {} : { clientId }), scopes: scopesOf(payload) };
}

/** `scope` (RFC 9068, space-separated) and `scp` (an array at Okta, a string at Entra). */
function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
    for (const value of values) if (typeof value === 'string' && value !== '') scopes.add(value);
  }
  return scopes;
}

/** jose's error as one of our fixed descriptions: they name what failed, never the token. */
function describe(error: unknown): Verdict & { ok: false } {
  if (error instanceof errors.JWTExpired) return { ok: false, description: 'the token has expired' };
  if (error instanceof errors.JWTClaimValidationFailed) return { ok: false, description: claimProblem(error.claim, error.reason) };
  if (error instanceof errors.JOSEAlgNotAllowed) return { ok: false, description: 'the token is not signed with an accepted algorithm (asymmetric only)' };
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSMultipleMatchingKeys) {
    return { ok: false, description: 'the token is not signed by a key of the issuer' };
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return { ok: false, description: 'the token is not a well-formed signed JWT' };
  }
  // Fetching the key set failed (timeout, HTTP error, not a key set): the operator needs jose's reason.
  const cause = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
  return { ok: false, description: "the issuer's signing keys could not be fetched", keysUnavailable: true, cause };
}

function claimProblem(claim: string, reason: string): string {
  if (reason === 'missing') return `the token has no ${claim} claim`;
  switch (claim) {
    case 'aud':
      return 'the token is for another audience, not this resource';
    case 'iss':
      return 'the token is from another issuer';
    case 'nbf':
      return 'the token is not valid yet (nbf)';
    default:
      return `the token's ${claim} claim is not accepted`;
  }
}
