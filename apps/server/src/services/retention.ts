import { isCalendarDate } from '@toa/api/calendar-date';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AuditLog } from '../logging/audit-log.js';
import type { DomainStorage } from '../storage/domain-storage.js';
import type { ZonedTime } from '../zoned-time.js';

export interface RetentionReport {
  /** the first date kept, per domain: everything strictly before it goes */
  cutoff: string | undefined;
  deleted: Array<{ domain: string; id: string }>;
  removedDateFolders: Array<{ domain: string; date: string }>;
  /** imports busy right now, left for the next sweep */
  skipped: Array<{ domain: string; id: string }>;
}

export interface RetentionDeps {
  storages: Iterable<DomainStorage>;
  retentionDays: number;
  time: ZonedTime;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
}

/**
 * SPEC §8: per configured domain, every date folder strictly before
 * today − retention (calendar dates in the configured zone) goes, whatever
 * the status of its imports, except imports busy right now. Non-date entries
 * and domains no longer configured are never touched. 0 days disables it.
 */
export async function runRetention(deps: RetentionDeps, options: { dryRun?: boolean } = {}): Promise<RetentionReport> {
  const report: RetentionReport = { cutoff: undefined, deleted: [], removedDateFolders: [], skipped: [] };
  if (deps.retentionDays === 0) return report;
  const cutoff = deps.time.daysBefore(deps.clock.now(), deps.retentionDays);
  report.cutoff = cutoff;
  for (const storage of deps.storages) {
    const domain = storage.domain;
    for (const date of await storage.dateFolders()) {
      if (!isCalendarDate(date) || date >= cutoff) continue;
      let kept = 0;
      for (const id of await storage.idsOfDate(date)) {
        if (options.dryRun) {
          report.deleted.push({ domain, id });
          continue;
        }
        if (await storage.purge(id)) {
          report.deleted.push({ domain, id });
          await deps.audit.append({ domain, action: 'retention.deleted', importId: id, details: { cutoff, retentionDays: deps.retentionDays } });
        } else {
          kept += 1;
          report.skipped.push({ domain, id });
        }
      }
      if (options.dryRun || kept > 0) continue;
      if (await storage.removeDateFolderIfEmpty(date)) report.removedDateFolders.push({ domain, date });
    }
  }
  deps.logger.info(
    { cutoff, deleted: report.deleted.length, skipped: report.skipped.length, dryRun: options.dryRun === true },
    `retention: date folders before ${cutoff} ${options.dryRun ? 'would be' : 'were'} removed`,
  );
  return report;
}
