import type { RequestHandler } from 'express';
import type { JwtAuthConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import { bearerChallenge, bearerToken, TokenRefused } from './bearer-token.js';
import { createJwtVerifier } from './jwt-verifier.js';

/**
 * `jwt` mode: the task pane sends the access token it got from Entra ID
 * (Office SSO, or Nested App Authentication); every request is verified on its own, nothing
 * is kept in a session.
 */
export function jwtAuth(auth: JwtAuthConfig): RequestHandler {
  const verify = createJwtVerifier(auth);
  return async (req, res, next) => {
    try {
      req.identity = await verify(bearerToken(req.get('authorization')));
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      // logged with the refusal by the error handler, which samples floods of them
      res.locals.refusalReason = `bearer token refused (${error.reason ?? error.error})`;
      res.setHeader('WWW-Authenticate', bearerChallenge(error.error));
      throw new AppError('UNAUTHENTICATED', error.message);
    }
    next();
  };
}
