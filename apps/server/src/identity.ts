/**
 * Who is calling: established by the auth middleware, used by every service
 * call. Read-only: one identity object may serve many requests (dev mode
 * hands the same frozen one to every request of a header pair).
 */
export interface Identity {
  /** the owner key stored in import.json and compared on every access */
  readonly userId: string;
  /** lower case; in `jwt` mode the address of the most trustworthy claim (see auth/token-claims.ts) */
  readonly email: string;
  readonly name: string;
  /** `jwt` only: the token's tenant (`tid`, lower case); a domain's `users.tenants` is checked against it */
  readonly tenantId?: string;
  readonly roles: readonly string[];
}

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}
