/**
 * Where the bulk filing job is kept (`queue/bulk-job.ts` reads and writes it),
 * apart from the job's schema so that the pane's first chunk can tell whether
 * a reload left a job to resume without loading the bulk filing code.
 */
export const BULK_JOB_KEY = 'toa.bulk.v1';

/** Whether localStorage holds a bulk filing job (a record that turns out not to parse is no job: it only cost loading the bulk filing code). */
export function hasStoredBulkJob(storage: Storage = localStorage): boolean {
  try {
    return storage.getItem(BULK_JOB_KEY) !== null;
  } catch {
    return false;
  }
}
