import { DEV_IDENTITY_HEADERS } from '@toa/api/routes';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { DevAuthConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';

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

/** Header pairs whose verdict is kept: a dev server sees a handful of users; more than this and the memory starts afresh. */
const REMEMBERED_IDENTITIES = 1000;

/**
 * `dev` mode: the identity comes from headers the task pane sets from the
 * Outlook user profile. Only allowed on loopback (checked when the
 * configuration is loaded), never in production.
 *
 * The identity of a header pair (e-mail, name) is worked out once and the
 * same frozen object handed to every request that sends that pair: the
 * address check and the decoding are not repeated on every call.
 */
export function devAuth(auth: DevAuthConfig): RequestHandler {
  const admins = new Set(auth.admins.map((a) => a.toLowerCase()));
  const known = new Map<string, Identity>();
  const identityOf = (rawEmail: string, rawName: string | undefined): Identity | undefined => {
    const email = emailSchema.safeParse(rawEmail.trim());
    if (!email.success) return undefined;
    const address = email.data.toLowerCase();
    const name = decodeName(rawName)?.trim().slice(0, 200) || address;
    const roles = Object.freeze(admins.has(address) ? ['user', 'admin'] : ['user']);
    return Object.freeze({ userId: address, email: address, name, roles });
  };
  return (req, _res, next) => {
    const rawEmail = req.get(DEV_IDENTITY_HEADERS.email);
    if (!rawEmail) {
      next(new AppError('UNAUTHENTICATED', `send the ${DEV_IDENTITY_HEADERS.email} header (dev mode)`));
      return;
    }
    const rawName = req.get(DEV_IDENTITY_HEADERS.name);
    // a newline cannot occur in a header value, so it cannot make two pairs one key
    const key = rawName === undefined ? rawEmail : `${rawEmail}\n${rawName}`;
    let identity = known.get(key);
    if (!identity) {
      identity = identityOf(rawEmail, rawName);
      if (!identity) {
        next(new AppError('UNAUTHENTICATED', `${DEV_IDENTITY_HEADERS.email} must be an e-mail address`));
        return;
      }
      if (known.size >= REMEMBERED_IDENTITIES) known.clear();
      known.set(key, identity);
    }
    req.identity = identity;
    next();
  };
}
