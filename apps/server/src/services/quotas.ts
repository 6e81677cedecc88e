import type { DomainConfig, QuotaLimits } from '../config/schema.js';
import { AppError } from '../errors.js';
import type { Usage } from '../storage/import-index.js';

const MIB = 1024 * 1024;

/** What the quota checks read of a domain's storage (DomainStorage). */
export interface UsageSource {
  /** resolves once `usage` is complete (the listing index is built) */
  warmUp(): Promise<void>;
  usage(userId: string): { user: Usage; domain: Usage };
}

/** The quotas of a domain: `limits.quota` with the domain's own `quota` keys over it. */
export function domainQuota(defaults: QuotaLimits, domain: Pick<DomainConfig, 'quota'>): QuotaLimits {
  return { ...defaults, ...domain.quota };
}

/** Bytes for people: `512 bytes`, `300 KiB`, `1.5 MiB`, `10 GiB` (two decimals at most). */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number(value.toFixed(2))} ${units[unit]}`;
}

const NOTHING: Usage = { imports: 0, bytes: 0 };

function add(into: Usage, amount: Usage, sign: 1 | -1): void {
  into.imports += sign * amount.imports;
  into.bytes += sign * amount.bytes;
}

/** One quota as a check sees it. */
interface Measured {
  /** the configuration key, as an operator finds it */
  key: keyof QuotaLimits;
  limit: number;
  stored: Usage;
  reserved: Usage;
}

/**
 * Per-user and per-domain quotas on stored page bytes and on imports, checked
 * before new content is read (ADR 0012). What is stored comes from each
 * domain's in-memory index; what is on its way is reserved here: a page
 * upload reserves the most its body may store (its declared length, at most
 * the page size limit) until its page is listed, a new import reserves one
 * import until it is. A check and its reservation are one synchronous step,
 * so concurrent requests cannot all pass on the same room; a page upload
 * never stores more than it reserved, so uploads alone never pass a quota.
 * Only an extraction, checked for room but not measured beforehand, can: by
 * the copies it makes (at most its message's size).
 */
export class Quotas {
  readonly #storages: ReadonlyMap<string, UsageSource>;
  readonly #limits: ReadonlyMap<string, QuotaLimits>;
  /** reservations by domain: its total and each user's */
  readonly #reserved = new Map<string, { total: Usage; users: Map<string, Usage> }>();

  /** `limits`: each domain's quotas (see `domainQuota`); a domain without an entry has none. */
  constructor(storages: ReadonlyMap<string, UsageSource>, limits: ReadonlyMap<string, QuotaLimits>) {
    this.#storages = storages;
    this.#limits = limits;
  }

  /** Resolves once the domain's usage is known; await it before `reserve`. */
  async ready(domain: string): Promise<void> {
    await this.#storages.get(domain)?.warmUp();
  }

  /**
   * Reserves `incoming` for `userId` in `domain`, or throws `QUOTA_EXCEEDED`
   * (409) naming the first quota it would pass, its limit and what is used.
   * A byte quota also refuses when it is full to the byte, whatever comes (a
   * new import or an extraction needs room); an import quota only counts new
   * imports. Returns the release, to be called once the content is listed
   * (or refused); calling it twice releases once.
   */
  reserve(userId: string, domain: string, incoming: Usage): () => void {
    const limits = this.#limits.get(domain);
    const source = this.#storages.get(domain);
    if (!limits || !source) return () => {};
    const reserved = this.#reservedIn(domain);
    const user = reserved.users.get(userId) ?? { ...NOTHING };
    const { user: userStored, domain: domainStored } = source.usage(userId);
    const quotas: Measured[] = [
      { key: 'userMb', limit: limits.userMb, stored: userStored, reserved: user },
      { key: 'userImports', limit: limits.userImports, stored: userStored, reserved: user },
      { key: 'domainMb', limit: limits.domainMb, stored: domainStored, reserved: reserved.total },
      { key: 'domainImports', limit: limits.domainImports, stored: domainStored, reserved: reserved.total },
    ];
    for (const quota of quotas) {
      if (passes(quota, incoming)) throw new AppError('QUOTA_EXCEEDED', describe(quota, domain, incoming));
    }
    add(user, incoming, 1);
    reserved.users.set(userId, user);
    add(reserved.total, incoming, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      add(user, incoming, -1);
      add(reserved.total, incoming, -1);
      if (user.imports === 0 && user.bytes === 0) reserved.users.delete(userId);
    };
  }

  /** Throws `QUOTA_EXCEEDED` when a byte quota of the user or domain is already full (before an extraction). */
  assertRoom(userId: string, domain: string): void {
    this.reserve(userId, domain, NOTHING)();
  }

  #reservedIn(domain: string): { total: Usage; users: Map<string, Usage> } {
    let reserved = this.#reserved.get(domain);
    if (!reserved) {
      reserved = { total: { ...NOTHING }, users: new Map() };
      this.#reserved.set(domain, reserved);
    }
    return reserved;
  }
}

function isBytes(key: keyof QuotaLimits): boolean {
  return key === 'userMb' || key === 'domainMb';
}

function limitOf(quota: Measured): number {
  return isBytes(quota.key) ? Math.floor(quota.limit * MIB) : quota.limit;
}

function passes(quota: Measured, incoming: Usage): boolean {
  if (quota.limit === 0) return false;
  const limit = limitOf(quota);
  if (isBytes(quota.key)) return quota.stored.bytes + quota.reserved.bytes + Math.max(incoming.bytes, 1) > limit;
  return incoming.imports > 0 && quota.stored.imports + quota.reserved.imports + incoming.imports > limit;
}

const REMEDY_USER = 'delete imports you no longer need, or ask an administrator for a larger quota';
const REMEDY_DOMAIN = 'nothing more fits until imports are deleted or an administrator raises the quota';

function describe(quota: Measured, domain: string, incoming: Usage): string {
  const limit = limitOf(quota);
  const setting = `quota.${quota.key}`;
  const { stored, reserved } = quota;
  if (isBytes(quota.key)) {
    const held = `${formatBytes(stored.bytes)} in ${stored.imports} import(s)${reserved.bytes > 0 ? `, plus ${formatBytes(reserved.bytes)} of uploads under way` : ''}`;
    const asked = incoming.bytes > 0 ? `this upload may store up to ${formatBytes(incoming.bytes)}` : 'no room is left';
    return quota.key === 'userMb'
      ? `your storage quota in the domain "${domain}" is ${formatBytes(limit)} (${setting}) and you hold ${held}; ${asked}: ${REMEDY_USER}`
      : `the domain "${domain}" may hold ${formatBytes(limit)} of pages (${setting}) and holds ${held}; ${asked}: ${REMEDY_DOMAIN}`;
  }
  const held = `${stored.imports}${reserved.imports > 0 ? ` (plus ${reserved.imports} being created)` : ''}`;
  return quota.key === 'userImports'
    ? `your import quota in the domain "${domain}" is ${limit} imports (${setting}) and you hold ${held}: ${REMEDY_USER}`
    : `the domain "${domain}" may hold ${limit} imports (${setting}) and holds ${held}: ${REMEDY_DOMAIN}`;
}
