import type { DomainSummary } from '@toa/api/identity';
import type { DomainConfig } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Identity } from '../identity.js';

/** The configured domains and who may use them (by the tenant, then the e-mail domain of the caller). */
export class DomainDirectory {
  private readonly byCode: Map<string, DomainConfig>;

  constructor(
    domains: readonly DomainConfig[],
    private readonly catalogueAvailable: (code: string) => boolean,
  ) {
    this.byCode = new Map(domains.map((d) => [d.code, d]));
  }

  get codes(): string[] {
    return [...this.byCode.keys()];
  }

  /**
   * No `users`: everyone. Otherwise, in `jwt` mode, the caller's tenant must
   * own the domain (`users.tenants`; the configuration requires it when
   * several tenants may sign in), and then the caller's address must be in
   * one of `users.mailDomains`.
   */
  mayUse(identity: Identity, domain: DomainConfig): boolean {
    if (!domain.users) return true;
    const owners = domain.users.tenants;
    if (owners && (identity.tenantId === undefined || !owners.includes(identity.tenantId))) return false;
    const mailDomain = identity.email.slice(identity.email.lastIndexOf('@') + 1).toLowerCase();
    return domain.users.mailDomains.some((allowed) => allowed.toLowerCase() === mailDomain);
  }

  list(identity: Identity): DomainSummary[] {
    return [...this.byCode.values()]
      .filter((domain) => this.mayUse(identity, domain))
      .map((domain) => ({ code: domain.code, name: domain.name, catalogueAvailable: this.catalogueAvailable(domain.code) }));
  }

  /** The domain, if it exists and the caller may use it; 404 / 403 otherwise. */
  require(identity: Identity, code: string): DomainConfig {
    const domain = this.byCode.get(code);
    if (!domain) throw new AppError('DOMAIN_NOT_FOUND', `there is no domain "${code}"`);
    if (!this.mayUse(identity, domain)) throw new AppError('DOMAIN_FORBIDDEN', `${identity.email} may not use the domain "${code}"`);
    return domain;
  }
}
