/**
 * Why a request's credentials were refused, in RFC 6750 terms: `missing` (no
 * bearer credentials at all: the challenge carries no error code),
 * `invalid_request` (an Authorization header that is not `Bearer <token>`)
 * or `invalid_token` (a token that does not verify).
 */
export type BearerError = 'missing' | 'invalid_request' | 'invalid_token';

/** Raised with a detail that is safe to show the caller: it never quotes the token or key material. */
export class TokenRefused extends Error {
  constructor(
    readonly error: BearerError,
    detail: string,
    /** what to log besides the detail (the verifier's own reason code) */
    readonly reason?: string,
  ) {
    super(detail);
    this.name = 'TokenRefused';
  }
}

// RFC 6750 §2.1: the scheme, one or more spaces, then a b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*/;

/** The token of an `Authorization: Bearer <token>` header; throws `TokenRefused` otherwise. */
export function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new TokenRefused('missing', 'send the access token as "Authorization: Bearer <token>"');
  }
  const match = BEARER.exec(authorization.trim());
  if (match?.[1]) return match[1];
  const scheme = SCHEME.exec(authorization.trim())?.[0] ?? '';
  if (scheme.toLowerCase() !== 'bearer') {
    throw new TokenRefused('missing', `the Authorization header must use the Bearer scheme, not "${scheme.slice(0, 20) || '(none)'}"`);
  }
  throw new TokenRefused('invalid_request', 'the Authorization header must be "Bearer <token>" with one token');
}

/** The `WWW-Authenticate` challenge for a refusal (RFC 6750 §3). */
export function bearerChallenge(error: BearerError): string {
  return error === 'missing' ? 'Bearer realm="toa"' : `Bearer realm="toa", error="${error}"`;
}
