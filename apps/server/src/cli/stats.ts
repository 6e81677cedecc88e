import type { ImportStatus } from '@toa/api/imports';
import { composeStorage } from '../composition.js';
import type { Config } from '../config/schema.js';
import { isAppError } from '../errors.js';
import { domainQuota, formatBytes } from '../services/quotas.js';
import { pageBytes } from '../storage/import-index.js';
import type { Output } from './output.js';

interface DayStats {
  domain: string;
  date: string;
  imports: number;
  bytes: number;
  byStatus: Partial<Record<ImportStatus | 'UNREADABLE', number>>;
}

/** What one user holds in one domain, against that user's quotas there (0: no limit). */
interface UserStats {
  domain: string;
  userId: string;
  imports: number;
  bytes: number;
  quotaBytes: number;
  quotaImports: number;
}

const MIB = 1024 * 1024;

/** Imports per domain, day and status, with the bytes of their pages; and what each user holds against their quotas, most bytes first. */
export async function stats(config: Config, out: Output): Promise<void> {
  const rows: DayStats[] = [];
  const users = new Map<string, UserStats>();
  for (const storage of composeStorage(config).storages.values()) {
    const domainConfig = config.domains.find((d) => d.code === storage.domain);
    const quota = domainQuota(config.limits.quota, domainConfig ?? {});
    for (const date of await storage.dateFolders()) {
      const row: DayStats = { domain: storage.domain, date, imports: 0, bytes: 0, byStatus: {} };
      for (const id of await storage.idsOfDate(date)) {
        row.imports += 1;
        let status: ImportStatus | 'UNREADABLE' = 'UNREADABLE';
        try {
          const current = await storage.read(id);
          status = current.status;
          const bytes = pageBytes(current);
          row.bytes += bytes;
          const key = `${storage.domain}\n${current.userId}`;
          const user = users.get(key) ?? {
            domain: storage.domain,
            userId: current.userId,
            imports: 0,
            bytes: 0,
            quotaBytes: Math.floor(quota.userMb * MIB),
            quotaImports: quota.userImports,
          };
          user.imports += 1;
          user.bytes += bytes;
          users.set(key, user);
        } catch (error) {
          if (!isAppError(error)) throw error;
        }
        row.byStatus[status] = (row.byStatus[status] ?? 0) + 1;
      }
      rows.push(row);
    }
  }
  const byUser = [...users.values()].sort((a, b) => b.bytes - a.bytes || a.domain.localeCompare(b.domain) || a.userId.localeCompare(b.userId));
  out.result({ days: rows, users: byUser }, () => [
    'domain      date        imports  bytes         statuses',
    ...rows.map(
      (r) =>
        `${r.domain.padEnd(11)} ${r.date}  ${String(r.imports).padStart(7)}  ${String(r.bytes).padStart(12)}  ${Object.entries(r.byStatus)
          .map(([s, n]) => `${s}=${n}`)
          .join(' ')}`,
    ),
    '',
    'domain      user                                      imports  bytes         of the quota',
    ...byUser.map(
      (u) =>
        `${u.domain.padEnd(11)} ${u.userId.padEnd(40)}  ${String(u.imports).padStart(7)}  ${String(u.bytes).padStart(12)}  ${share(u.bytes, u.quotaBytes, formatBytes)}, ${share(u.imports, u.quotaImports, (n) => `${n} imports`)}`,
    ),
  ]);
}

/** `3.9% of 10 GiB`, or `no limit` for a quota of 0. */
function share(used: number, limit: number, format: (value: number) => string): string {
  return limit === 0 ? 'no limit' : `${((used / limit) * 100).toFixed(1)}% of ${format(limit)}`;
}
