/** Who is calling: established by the auth middleware, used by every service call. */
export interface Identity {
  /** the owner key stored in import.json and compared on every access */
  userId: string;
  /** lower case; in `jwt` mode the address of the most trustworthy claim (see auth/token-claims.ts) */
  email: string;
  name: string;
  /** `jwt` only: the token's tenant (`tid`, lower case); a domain's `users.tenants` is checked against it */
  tenantId?: string;
  roles: string[];
}

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}
