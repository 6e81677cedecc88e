import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { DevAuthConfig } from '../config/schema.js';
import { AppError } from '../errors.js';

const emailSchema = z.email().max(320);

/** Header values are Latin-1, so the task pane percent-encodes names like "Jiří"; plain ASCII names pass as they are. */
function decodeName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * `dev` mode: the identity comes from headers the task pane sets from the
 * Outlook user profile. Only allowed on loopback (checked when the
 * configuration is loaded), never in production.
 */
export function devAuth(auth: DevAuthConfig): RequestHandler {
  const admins = new Set(auth.admins.map((a) => a.toLowerCase()));
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
    const name = decodeName(req.get(DEV_IDENTITY_HEADERS.name))?.trim().slice(0, 200) || address;
    req.identity = { userId: address, email: address, name, roles: admins.has(address) ? ['user', 'admin'] : ['user'] };
    next();
  };
}
