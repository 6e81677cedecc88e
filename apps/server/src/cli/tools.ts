import pino from 'pino';
import type { Config } from '../config/schema.js';
import { extractParts } from '../mail/extract-parts.js';
import { summarizeMessage } from '../mail/summarize-message.js';
import { DomainStorage } from '../storage/domain-storage.js';
import { KeyedLock } from '../fs/keyed-lock.js';
import { Layout } from '../storage/layout.js';
import { systemClock } from '../clock.js';
import { ZonedTime } from '../zoned-time.js';

/** The storage of every configured domain, as the admin commands see it (no server, no HTTP). */
export function offlineStorages(config: Config): { layout: Layout; time: ZonedTime; storages: DomainStorage[] } {
  const layout = new Layout(config.dataRoot);
  const time = new ZonedTime(config.timeZone);
  const locks = new KeyedLock();
  const logger = pino({ level: 'silent' });
  const storages = config.domains.map(
    (d) => new DomainStorage({ layout, domain: d.code, clock: systemClock, time, locks, mail: { summarizeMessage, extractParts }, logger }),
  );
  return { layout, time, storages };
}
