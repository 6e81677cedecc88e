import type { Import } from '@toa/api/imports';
import { composeStorage } from '../../src/composition.js';
import type { Config } from '../../src/config/schema.js';
import { type CrashSite, type ForkedServer, startForkedServer } from './forked-server.js';
import { checkInvariants, type InvariantReport } from './invariants.js';
import { randomBinary, smallest } from './payloads.js';
import type { TrackingClient } from './tracking-client.js';

async function importsOnDisk(config: Config): Promise<Import[]> {
  const found: Import[] = [];
  for (const storage of composeStorage(config).storages.values()) {
    for (const id of await storage.ids()) {
      // before the restart a crash may have left a folder without import.json; the checker judges that after it
      const current = await storage.read(id).catch(() => undefined);
      if (current) found.push(current);
    }
  }
  return found;
}

/**
 * Proves an import still works after the crash: a page can be added,
 * attributes set and the whole import submitted to the archive.
 */
async function exercise(client: TrackingClient, current: Import, fail: (message: string) => void): Promise<void> {
  try {
    await client.upload(current.id, 1, randomBinary(smallest));
    for (const doc of current.documents) await client.setNote(current.id, doc.n, `after the crash ${doc.n}`);
    await client.submit(current.id);
    const final = await client.settled(current.id);
    if (final.status !== 'SUBMITTED') fail(`${current.id}: submitting after the crash ended ${final.status}: ${final.error ?? ''}`);
  } catch (error) {
    fail(`${current.id}: not usable after the crash: ${(error as Error).message}`);
  }
}

export interface Recovered {
  server: ForkedServer;
  report: InvariantReport;
  pendingResumed: number;
}

/**
 * After a kill: restarts the server on the same data root (its start-up sweep
 * runs), waits for every import found PENDING to be archived, checks every
 * invariant, then uses every editable import once more and checks again.
 */
export async function restartAndCheck(site: CrashSite, client: TrackingClient): Promise<Recovered> {
  const pending = (await importsOnDisk(site.config)).filter((i) => i.status === 'PENDING');
  const server = await startForkedServer(site);
  client.url = server.url;
  const violations: string[] = [];
  const fail = (message: string): void => {
    violations.push(message);
  };
  for (const { id } of pending) {
    const final = await client.settled(id);
    if (final.status !== 'SUBMITTED') fail(`${id}: PENDING at start ended ${final.status} instead of SUBMITTED`);
  }
  const { layout, storages: byDomain } = composeStorage(site.config);
  const storages = [...byDomain.values()];
  const afterCrash = await checkInvariants(layout.root, storages, client.acks);
  for (const current of await importsOnDisk(site.config)) {
    if (current.status === 'DRAFT' || current.status === 'FAILED') await exercise(client, current, fail);
  }
  const afterUse = await checkInvariants(layout.root, storages, client.acks);
  const report = { ...afterCrash, violations: [...violations, ...afterCrash.violations, ...afterUse.violations.map((v) => `after use: ${v}`)] };
  return { server, report, pendingResumed: pending.length };
}
