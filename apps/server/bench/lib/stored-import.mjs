import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DOMAIN } from './toa-site.mjs';

/**
 * The `import.json` of a SUBMITTED import of the bench domain, as a restore
 * would leave it (schema 2): `iso` its creation time, `folder` its folder's
 * name below the date folder, `batchId` the archive's answer if any.
 */
export function submittedImport({ iso, folder, user, userName = user, source, documents, batchId }) {
  const date = iso.slice(0, 10);
  return {
    schemaVersion: 2,
    id: `${date}_${folder}`,
    domain: DOMAIN,
    status: 'SUBMITTED',
    createdAt: iso,
    updatedAt: iso,
    userId: user,
    userName,
    userEmail: user,
    source,
    documents,
    ...(batchId ? { damisBatchId: batchId } : {}),
    attempts: [],
  };
}

/**
 * Writes imports `from`..`to` - 1 into `domainDir`, 64 files at a time;
 * `importAt(i)` gives `{ date, folder, current }`. `withPage`: each gets an
 * empty `doc-1/pages/page-1.bin` beside its `import.json`; `space`: the
 * JSON indentation (the server writes 2).
 */
export async function writeImports(domainDir, from, to, importAt, { withPage = false, space } = {}) {
  const BATCH = 64;
  for (let start = from; start < to; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, to - start) }, async (_, k) => {
        const { date, folder, current } = importAt(start + k);
        const dir = path.join(domainDir, date, folder);
        if (withPage) {
          await mkdir(path.join(dir, 'doc-1', 'pages'), { recursive: true });
          await writeFile(path.join(dir, 'doc-1', 'pages', 'page-1.bin'), '');
        } else {
          await mkdir(dir, { recursive: true });
        }
        await writeFile(path.join(dir, 'import.json'), JSON.stringify(current, null, space));
      }),
    );
  }
}
