/** Who is calling: established by the auth middleware, used by every service call. */
export interface Identity {
  /** the owner key stored in import.json and compared on every access */
  userId: string;
  email: string;
  name: string;
  roles: string[];
}

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}
