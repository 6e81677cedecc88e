import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isAppError } from '../errors.js';
import { type DomainStorage, isMessagePage } from './domain-storage.js';
import { readSidecarFile } from './import-files.js';
import { emptySweepReport, sweepDomain } from './recovery.js';

export interface FsckFinding {
  path: string;
  problem: string;
  repaired: boolean;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Checks every import of the given domains against its import.json: leftovers
 * of interrupted writes, unreadable import.json files, pages missing or with
 * the wrong size or hash, stale or missing sidecars. With `repair`, does what
 * is safe (the start-up sweep, sidecar rebuilds); damaged pages are only reported.
 */
export async function fsckDomains(dataRoot: string, storages: DomainStorage[], repair: boolean): Promise<FsckFinding[]> {
  const findings: FsckFinding[] = [];
  for (const storage of storages) {
    const sweep = emptySweepReport();
    await sweepDomain(dataRoot, storage.dir, sweep, { dryRun: !repair });
    for (const removed of sweep.removed) findings.push({ path: removed, problem: 'leftover of an interrupted write', repaired: repair });
    for (const rolled of sweep.rolledForward)
      findings.push({
        path: rolled,
        problem: repair ? 'interrupted extraction rolled forward' : 'interrupted extraction: rolled forward at the next start or by fsck --repair',
        repaired: repair,
      });
    for (const unreadable of sweep.unreadable)
      findings.push({ path: unreadable, problem: 'import.json cannot be read; restore it from a backup or remove the import', repaired: false });

    for (const id of await storage.ids()) {
      let current: Awaited<ReturnType<DomainStorage['read']>>;
      try {
        current = await storage.read(id);
      } catch (error) {
        if (isAppError(error)) continue; // reported by the sweep above
        throw error;
      }
      const paths = storage.paths(id);
      for (const doc of current.documents) {
        for (const page of doc.pages) {
          const file = paths.pageFile(doc.n, page.m);
          const where = path.relative(dataRoot, file);
          let size: number;
          try {
            size = (await stat(file)).size;
          } catch {
            findings.push({ path: where, problem: 'listed page is missing', repaired: false });
            continue;
          }
          if (size !== page.size) {
            findings.push({ path: where, problem: `size ${size} differs from the recorded ${page.size}`, repaired: false });
            continue;
          }
          if ((await sha256File(file)) !== page.sha256) {
            findings.push({ path: where, problem: 'sha256 differs from the recorded one', repaired: false });
            continue;
          }
          if (!isMessagePage(page)) continue;
          const sidecarFile = paths.sidecarFile(doc.n, page.m);
          const sidecar = await readSidecarFile(sidecarFile);
          if (sidecar && sidecar.size === page.size && sidecar.sha256 === page.sha256) continue;
          let repaired = false;
          if (repair) {
            try {
              await storage.sidecar(id, doc.n, page.m, () => {});
              repaired = true;
            } catch {
              // an EML that cannot be parsed keeps no sidecar; reported below
            }
          }
          findings.push({ path: path.relative(dataRoot, sidecarFile), problem: sidecar ? 'sidecar is stale' : 'sidecar is missing or unreadable', repaired });
        }
      }
    }
  }
  return findings;
}
