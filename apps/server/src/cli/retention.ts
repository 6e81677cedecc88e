import pino from 'pino';
import { composeStorage, retentionOf } from '../composition.js';
import type { Config } from '../config/schema.js';
import { AuditLog } from '../logging/audit-log.js';
import { openDataRoot } from '../storage/data-root.js';
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
    const report = await retentionOf(core, config, { audit: new AuditLog(config.logDir), logger })({ dryRun });
    out.result({ ...report }, () => {
      if (config.retentionDays === 0) return ['retention is disabled (dataRetention "0d")'];
      const verb = dryRun ? 'would delete' : 'deleted';
      return [
        `cutoff: date folders before ${report.cutoff} (${config.timeZone}) go`,
        ...report.deleted.map((d) => `${verb} ${d.domain} ${d.id}`),
        ...report.skipped.map((d) => `skipped (busy) ${d.domain} ${d.id}`),
        `${report.deleted.length} import(s) ${dryRun ? 'would be deleted' : 'deleted'}`,
      ];
    });
    await opened?.release(true);
  } finally {
    await opened?.release();
  }
}
