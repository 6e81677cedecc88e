import type { ImportStatus } from '@toa/api/imports';
import { composeStorage } from '../composition.js';
import type { Config } from '../config/schema.js';
import { isAppError } from '../errors.js';
import type { Output } from './output.js';

interface DayStats {
  domain: string;
  date: string;
  imports: number;
  bytes: number;
  byStatus: Partial<Record<ImportStatus | 'UNREADABLE', number>>;
}

/** Imports per domain, day and status, with the bytes of their pages. */
export async function stats(config: Config, out: Output): Promise<void> {
  const rows: DayStats[] = [];
  for (const storage of composeStorage(config).storages.values()) {
    for (const date of await storage.dateFolders()) {
      const row: DayStats = { domain: storage.domain, date, imports: 0, bytes: 0, byStatus: {} };
      for (const id of await storage.idsOfDate(date)) {
        row.imports += 1;
        let status: ImportStatus | 'UNREADABLE' = 'UNREADABLE';
        try {
          const current = await storage.read(id);
          status = current.status;
          row.bytes += current.documents.reduce((sum, d) => sum + d.pages.reduce((s, p) => s + p.size, 0), 0);
        } catch (error) {
          if (!isAppError(error)) throw error;
        }
        row.byStatus[status] = (row.byStatus[status] ?? 0) + 1;
      }
      rows.push(row);
    }
  }
  out.result({ days: rows }, () => [
    'domain      date        imports  bytes         statuses',
    ...rows.map(
      (r) =>
        `${r.domain.padEnd(11)} ${r.date}  ${String(r.imports).padStart(7)}  ${String(r.bytes).padStart(12)}  ${Object.entries(r.byStatus)
          .map(([s, n]) => `${s}=${n}`)
          .join(' ')}`,
    ),
  ]);
}
