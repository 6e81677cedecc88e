import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';

declare global {
  namespace Express {
    interface Request {
      identity?: Identity;
    }
  }
}

const emailSchema = z.email().max(320);

/**
 * `dev` mode: the identity comes from headers the task pane sets from the
 * Outlook user profile. Only allowed on loopback (checked when the
 * configuration is loaded), never in production.
 */
export function devIdentity(config: Config): RequestHandler {
  const admins = new Set(config.auth.admins.map((a) => a.toLowerCase()));
  return (req, _res, next) => {
    const rawEmail = req.get(DEV_IDENTITY_HEADERS.email);
    if (!rawEmail) {
      next(new AppError('UNAUTHENTICATED', `send the ${DEV_IDENTITY_HEADERS.email} header (dev mode)`));
      return;
    }
    const email = emailSchema.safeParse(rawEmail.trim());
    if (!email.success) {
      next(new AppError('UNAUTHENTICATED', `${DEV_IDENTITY_HEADERS.email} must be an e-mail address`));
      return;
    }
    const address = email.data.toLowerCase();
    const name = req.get(DEV_IDENTITY_HEADERS.name)?.trim().slice(0, 200) || address;
    req.identity = { userId: address, email: address, name, roles: admins.has(address) ? ['user', 'admin'] : ['user'] };
    next();
  };
}

/** The identity set by the auth middleware; routes behind it always have one. */
export function identityOf(req: Express.Request): Identity {
  if (!req.identity) throw new AppError('UNAUTHENTICATED', 'no identity');
  return req.identity;
}
