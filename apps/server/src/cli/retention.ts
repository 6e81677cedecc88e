import pino from 'pino';
import { composeStorage, retentionOf } from '../composition.js';
import type { Config } from '../config/schema.js';
import { AuditLog } from '../logging/audit-log.js';
import { openDataRoot } from '../storage/data-root.js';
import { findingLine, takeoverFindings } from './fsck.js';
import type { Output } from './output.js';

/** The server's retention sweep, by hand. A real run takes the data root (the server must be stopped); a dry run only reads. */
export async function retentionCommand(config: Config, dryRun: boolean, out: Output): Promise<void> {
  const logger = pino({ level: 'silent' });
  const core = composeStorage(config, { logger });
  const opened = dryRun
    ? undefined
    : await openDataRoot(
        core.layout,
        config.domains.map((d) => d.code),
        logger,
      );
  try {
    // taking the data root sweeps it first, as a start does: what that repaired, and what it left read-only, is said too
    const swept = opened
      ? [
          ...takeoverFindings(core.layout, opened),
          ...opened.sweep.unreadable.map(({ path, reason }) => ({ path, problem: reason, fix: 'read-only until repaired (toa-server fsck)', repaired: false })),
        ]
      : [];
    const audit = new AuditLog(config.logDir);
    const report = await retentionOf(core, config, { audit, logger })({ dryRun }).finally(() => audit.close());
    out.result({ swept, ...report }, () => {
      const sweptLines = swept.map(findingLine);
      if (config.retentionDays === 0) return [...sweptLines, 'retention is disabled (dataRetention "0d")'];
      const verb = dryRun ? 'would delete' : 'deleted';
      return [
        ...sweptLines,
        `cutoff: date folders before ${report.cutoff} (${config.timeZone}) go`,
        ...report.deleted.map((d) => `${verb} ${d.domain} ${d.id}`),
        ...report.skipped.map((d) => `skipped (busy) ${d.domain} ${d.id}`),
        ...report.removedDateFolders.map((d) => `removed date folder ${d.domain} ${d.date}`),
        `${report.deleted.length} import(s) ${dryRun ? 'would be deleted' : 'deleted'}`,
      ];
    });
    await opened?.release(true);
  } finally {
    await opened?.release();
  }
}
