import { AppError } from '../errors.js';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { ISSUER_TENANT_PLACEHOLDER, type JwtAuthConfig } from '../config/schema.js';
import type { Identity } from '../identity.js';
import { TokenRefused } from './bearer-token.js';
import { identityFromClaims } from './token-claims.js';

/** Verifies a bearer token and returns who it names; throws `TokenRefused` for every refusal. */
export type JwtVerifier = (token: string) => Promise<Identity>;

const CLAIM_DETAILS: Record<string, string> & { iss: string } = {
  nbf: 'the token is not valid yet',
  aud: 'the token was issued for another audience',
  iss: 'the token was issued by another issuer',
  exp: 'the token has no valid expiry (exp)',
};

const keysUnavailable = (cause: unknown): Error =>
  new AppError('UNAVAILABLE', 'sign-in cannot be checked right now: the issuer key set cannot be fetched or read', { cause });

/**
 * Checks signature (against the issuer's key set, with a fixed list of
 * asymmetric algorithms), `exp` (required), `nbf`, issuer, audience and the
 * tenant allow-list, then builds the identity from the claims.
 */
export function createJwtVerifier(auth: JwtAuthConfig): JwtVerifier {
  // fetched on first use, cached, and fetched again when a token names an unknown key (rotation)
  const keys = createRemoteJWKSet(new URL(auth.jwksUrl));
  const tenantIssuer = auth.issuer.includes(ISSUER_TENANT_PLACEHOLDER);

  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...auth.algorithms],
        audience: auth.audience,
        clockTolerance: auth.clockToleranceSec,
        requiredClaims: ['exp'],
        // one issuer per tenant: checked below, once the tenant is known
        ...(tenantIssuer ? {} : { issuer: auth.issuer }),
      }));
    } catch (error) {
      throw refusal(error);
    }
    const { identity, tenantId } = identityFromClaims(payload, auth);
    if (tenantIssuer && payload.iss !== auth.issuer.replace(ISSUER_TENANT_PLACEHOLDER, tenantId)) {
      throw new TokenRefused('invalid_token', CLAIM_DETAILS.iss, 'iss mismatch for the tenant');
    }
    return identity;
  };
}

/**
 * jose's error, told in words that name the failed check and nothing of the
 * token or keys. A key set that cannot be fetched or read is not the caller's
 * fault (a new token would not help): it is a 503, and the cause is logged.
 */
function refusal(error: unknown): Error {
  if (!(error instanceof errors.JOSEError)) return keysUnavailable(error);
  const refuse = (detail: string, reason: string = error.code) => new TokenRefused('invalid_token', detail, reason);
  if (error instanceof errors.JWTExpired) return refuse('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return refuse(CLAIM_DETAILS[error.claim] ?? `the token's "${error.claim}" claim is not acceptable`, `${error.code} ${error.claim} ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('the token is not signed with an allowed algorithm');
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('the token signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse('the token is signed with a key the issuer does not publish');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return refuse('the token is not a well-formed signed JWT');
  }
  return keysUnavailable(error);
}
