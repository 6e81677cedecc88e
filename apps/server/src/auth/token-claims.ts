import type { JWTPayload } from 'jose';
import { z } from 'zod';
import { type JwtAuthConfig, USER_ID_CLAIM_PATTERN } from '../config/schema.js';
import type { Identity } from '../identity.js';
import { TokenRefused } from './bearer-token.js';

const emailSchema = z.email().max(320);

/** Entra puts the sign-in address in one of these, depending on token version and account type. */
const EMAIL_CLAIMS = ['preferred_username', 'email', 'upn'] as const;

function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function refuse(detail: string, reason: string): never {
  throw new TokenRefused('invalid_token', detail, reason);
}

/**
 * The identity a verified token names. The owner key is `<tid>:<oid>`: the
 * object id is stable for the user's life in the tenant, whereas the e-mail
 * claims can be changed by an administrator, so they are kept for display
 * and for the domains' mail-domain rules only.
 */
export function identityFromClaims(payload: JWTPayload, auth: JwtAuthConfig): { identity: Identity; tenantId: string } {
  const tenantId = stringClaim(payload, 'tid')?.toLowerCase() ?? refuse('the token has no tenant id (tid)', 'tid missing');
  if (!auth.tenants.includes(tenantId)) refuse('the token was issued for a tenant that may not use this server', `tenant ${tenantId} not allowed`);

  const userClaim = auth.userIdClaims.find((claim) => stringClaim(payload, claim) !== undefined);
  const user = userClaim ? stringClaim(payload, userClaim) : undefined;
  if (user === undefined) refuse(`the token has no user id (${auth.userIdClaims.join(' or ')})`, 'user id missing');
  if (!USER_ID_CLAIM_PATTERN.test(user)) refuse(`the token's user id (${userClaim}) is not acceptable`, 'user id malformed');

  // preferred_username may be a phone number or a bare name for some accounts: take the first that is an address
  const email = EMAIL_CLAIMS.map((claim) => emailSchema.safeParse(stringClaim(payload, claim))).find((parsed) => parsed.success)?.data;
  if (email === undefined) refuse(`the token has no e-mail address (${EMAIL_CLAIMS.join(', ')})`, 'e-mail missing');

  const userId = `${tenantId}:${user}`;
  const lowerEmail = email.toLowerCase();
  const name = stringClaim(payload, 'name')?.slice(0, 200) ?? lowerEmail;
  const roles = auth.admins.includes(userId) ? ['user', 'admin'] : ['user'];
  return { tenantId, identity: { userId, email: lowerEmail, name, roles } };
}
