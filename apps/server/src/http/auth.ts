import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';

declare global {
  namespace Express {
    interface Request {
      /** set by the auth middleware (src/auth/create-auth-middleware.ts) */
      identity?: Identity;
    }
  }
}

/** The identity set by the auth middleware; routes behind it always have one. */
export function identityOf(req: Express.Request): Identity {
  if (!req.identity) throw new AppError('UNAUTHENTICATED', 'no identity');
  return req.identity;
}
