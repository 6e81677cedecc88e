import type { JWTPayload } from 'jose';
import { z } from 'zod';
import { type JwtAuthConfig, USER_ID_CLAIM_PATTERN } from '../config/schema.js';
import type { Identity } from '../identity.js';
import { TokenRefused } from './bearer-token.js';

const emailSchema = z.email().max(320);

/**
 * Where the user's address comes from, most trustworthy first; Entra puts it
 * in different claims depending on token version, optional claims and account
 * type. Verified first: `email` when `xms_edov` is true (Entra's "email
 * domain owner verified": the tenant that owns the address's domain verified
 * it), then `upn` (a member's UPN suffix must be a domain the tenant has
 * verified). Then the unverified ones: `preferred_username` (Microsoft:
 * mutable, not for authorization) and `email` without `xms_edov` (an
 * administrator can set any value). An unverified address is still taken:
 * the domain rules check the tenant first (`users.tenants`), and within its
 * own tenant an address is the tenant's own word.
 */
const EMAIL_SOURCES: ReadonlyArray<{ claim: string; when?: (payload: JWTPayload) => boolean }> = [
  { claim: 'email', when: (payload) => payload.xms_edov === true },
  { claim: 'upn' },
  { claim: 'preferred_username' },
  { claim: 'email' },
];

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
  const email = EMAIL_SOURCES.filter((source) => source.when?.(payload) ?? true)
    .map((source) => emailSchema.safeParse(stringClaim(payload, source.claim)))
    .find((parsed) => parsed.success)?.data;
  if (email === undefined) refuse('the token has no e-mail address (upn, preferred_username, email)', 'e-mail missing');

  const userId = `${tenantId}:${user}`;
  const lowerEmail = email.toLowerCase();
  const name = stringClaim(payload, 'name')?.slice(0, 200) ?? lowerEmail;
  const roles = auth.admins.includes(userId) ? ['user', 'admin'] : ['user'];
  return { tenantId, identity: { userId, email: lowerEmail, name, roles, tenantId } };
}
