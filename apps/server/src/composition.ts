import pino, { type Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import { KeyedLock } from './fs/keyed-lock.js';
import type { AuditLog } from './logging/audit-log.js';
import { extractParts } from './mail/extract-parts.js';
import { followMessage, summarizeMessage } from './mail/summarize-message.js';
import { type RetentionReport, runRetention } from './services/retention.js';
import { DomainStorage } from './storage/domain-storage.js';
import { Layout } from './storage/layout.js';
import { TemplateRegistry, type TemplateRegistryOptions } from './templates/template-registry.js';
import { ZonedTime } from './zoned-time.js';

/** What the server and every admin command build alike from the configuration. */
export interface StorageCore {
  layout: Layout;
  time: ZonedTime;
  clock: Clock;
  /**
   * one per configured domain, by code, in the configuration's order; a
   * cluster node adds a domain placed on it while it runs (`open`) and drops
   * one moved away
   */
  storages: Map<string, DomainStorage>;
  /** a new storage of `domain` sharing the core's lock table, clock, zone and mail tools (its start-up pass not run yet) */
  open(domain: string): DomainStorage;
}

/**
 * The data root's storage as the configuration describes it: one
 * `DomainStorage` per domain, sharing one lock table, clock and zone, with
 * the mail tools (parsed in worker threads once `configureMailWorkers` ran,
 * in this thread otherwise). The server and the CLI both start here, so an
 * admin command sees the data root exactly as the server does. `layout` is
 * the caller's when it needed one first (the server takes the data-root lock
 * before anything else).
 */
export function composeStorage(config: Config, options: { clock?: Clock; logger?: Logger; layout?: Layout } = {}): StorageCore {
  const layout = options.layout ?? new Layout(config.dataRoot);
  const time = new ZonedTime(config.timeZone);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: 'silent' });
  const locks = new KeyedLock();
  const mail = { summarizeMessage, followMessage, extractParts };
  const open = (domain: string): DomainStorage => new DomainStorage({ layout, domain, clock, time, locks, mail, logger });
  const storages = new Map(config.domains.map((d) => [d.code, open(d.code)]));
  return { layout, time, clock, storages, open };
}

/**
 * The retention sweep (SPEC §8) over the core's domains, as the server's
 * daily timer and `toa-server retention` run it; with `isOpen`, only over the
 * domains open at the call (one still in its start-up pass is left to the
 * next sweep: the pass owns its folders until then).
 */
export function retentionOf(
  core: StorageCore,
  config: Pick<Config, 'retentionDays'>,
  deps: { audit: AuditLog; logger: Logger; isOpen?: (domain: string) => boolean },
): (options?: { dryRun?: boolean }) => Promise<RetentionReport> {
  const { isOpen = () => true, ...log } = deps;
  return (options) => {
    const storages = [...core.storages.values()].filter((storage) => isOpen(storage.domain));
    return runRetention({ storages, retentionDays: config.retentionDays, time: core.time, clock: core.clock, ...log }, options);
  };
}

/** Every domain's template catalogue, cached where the data root's layout says, as the server and `toa-server templates` load it. */
export function templateRegistryOf(
  config: Pick<Config, 'domains'>,
  layout: Layout,
  options: Omit<TemplateRegistryOptions, 'domains' | 'cacheFile'>,
): TemplateRegistry {
  return new TemplateRegistry({ domains: config.domains, cacheFile: (code) => layout.catalogueCache(code), ...options });
}
