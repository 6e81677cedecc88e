import type { Health } from '@toa/api/identity';
import type { Logger } from 'pino';
import type { ClusterMap } from '../cluster/cluster-map.js';
import type { DomainDrains } from '../cluster/domain-drains.js';
import type { Config } from '../config/schema.js';
import type { AuditLog } from '../logging/audit-log.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { DomainDirectory } from '../services/domain-directory.js';
import type { ImportService } from '../services/import-service.js';
import type { FreeSpace } from '../fs/free-space.js';
import type { TemplateRegistry } from '../templates/template-registry.js';

/** Everything the HTTP layer needs, built once by the composition root. */
export interface AppContext {
  config: Config;
  logger: Logger;
  domains: DomainDirectory;
  imports: ImportService;
  templates: TemplateRegistry;
  audit: AuditLog;
  /** the data disk against `limits.freeSpaceReserveMb`: routes that store new content ask first */
  freeSpace: FreeSpace;
  /** the full report, checks included (administrators) */
  health(): Promise<Health>;
  /**
   * The status alone, from what is in memory (the last look at the disk and at the key set),
   * without waiting; `undefined` until those first looks are done (then ask `health()`).
   */
  healthStatus(): Health['status'] | undefined;
  /** a cluster node's domains being moved away (only with `cluster` configured) */
  drains?: DomainDrains;
  /** a cluster node's placement of the domains, read again on SIGHUP (only with `cluster` configured) */
  clusterMap?: ClusterMap;
  /** counted by every request, served at `/metrics` to configured scrapers */
  metrics: ServerMetrics;
}
