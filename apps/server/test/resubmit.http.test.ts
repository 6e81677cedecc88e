import { chmod, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE } from '../src/archive/filesystem-archive-client.js';
import { type BatchManifest, publishedManifestSchema } from '../src/archive/manifest.js';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { ContractArchive } from './support/contract-archive.js';
import { mikelDir } from './support/corpus.js';
import { json, settled, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Issue 8, point 6: an import whose first submit reached the archive but was
 * recorded FAILED (the answer was lost) is edited and submitted again. The
 * archive must end up holding the edited values under the batch id TOA
 * shows, never answer with the batch of the old content.
 */

const ALICE = 'alice@acme.example';
const message = (name: string): Promise<Buffer> => readFile(path.join(mikelDir, 'attachment_emails', name));

const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0).reverse()) await dispose();
});

/** The server and an import of alice's that is FAILED although the archive stored its first attempt. */
interface Failed {
  server: TestServer;
  id: string;
}

interface ArchiveUnderTest {
  name: string;
  failedAfterStored(): Promise<Failed>;
  /** every batch the archive holds for the import: batch id and manifest */
  batchesOf(server: TestServer, id: string): Promise<Array<{ batchId: string; manifest: BatchManifest }>>;
}

async function readyImport(server: TestServer): Promise<Import> {
  const alice = server.as(ALICE);
  const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
  expect((await alice(paths.pages('acme', created.id, 1), upload(await message('attachment_pdf.eml'), 'message.eml', 'message/rfc822'))).status).toBe(201);
  expect((await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }))).status).toBe(200);
  return created;
}

async function submitted(server: TestServer, id: string): Promise<Import> {
  const alice = server.as(ALICE);
  expect((await alice(paths.submit('acme', id), { method: 'POST' })).status).toBe(202);
  return importSchema.parse(await settled(alice, paths.import('acme', id)));
}

const httpArchive: ArchiveUnderTest & { archive?: ContractArchive } = {
  name: 'http',
  async failedAfterStored() {
    const archive = new ContractArchive();
    await archive.start();
    disposers.push(() => archive.stop());
    this.archive = archive;
    const server = await startTestServer({
      overrides: {
        domains: [
          {
            code: 'acme',
            name: 'ACME archive',
            templates: { file: './acme.xml' },
            archive: { type: 'http', url: archive.url, timeoutMs: 5_000, retries: 0 },
          },
        ],
      },
    });
    disposers.push(() => server.dispose());
    const created = await readyImport(server);
    archive.loseAnswers(1);
    const failed = await submitted(server, created.id);
    expect(failed.status).toBe('FAILED');
    expect(archive.batches).toHaveLength(1);
    return { server, id: created.id };
  },
  async batchesOf(_server, id) {
    return (this.archive?.batches ?? []).filter((b) => b.manifest.importId === id).map(({ batchId, manifest }) => ({ batchId, manifest }));
  },
};

/**
 * The filesystem archive answers synchronously, so its lost answer is an
 * import restored from a backup taken while it was FAILED, after a later
 * submit had reached the archive.
 */
const filesystemArchive: ArchiveUnderTest = {
  name: 'filesystem',
  async failedAfterStored() {
    let server = await startTestServer();
    const dir = server.dir;
    disposers.push(() => rm(dir, { recursive: true, force: true }));
    const created = await readyImport(server);
    const blocked = await blockArchive(server.archiveRoot);
    expect((await submitted(server, created.id)).status).toBe('FAILED');
    await blocked.release();
    await server.close();
    const importDir = path.join(server.dataRoot, 'acme', ...created.id.split('_'));
    const backup = path.join(dir, 'backup');
    await cp(importDir, backup, { recursive: true });

    server = await startTestServer({ dir });
    expect((await submitted(server, created.id)).status).toBe('SUBMITTED');
    await server.close();
    await rm(importDir, { recursive: true });
    await cp(backup, importDir, { recursive: true });

    server = await startTestServer({ dir });
    disposers.push(() => server.close());
    const restored = importSchema.parse(await (await server.as(ALICE)(paths.import('acme', created.id))).json());
    expect(restored.status).toBe('FAILED');
    expect(await this.batchesOf(server, created.id)).toHaveLength(1);
    return { server, id: created.id };
  },
  async batchesOf(server, id) {
    const batches: Array<{ batchId: string; manifest: BatchManifest }> = [];
    for (const entry of await readdir(server.archiveRoot, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const manifest = publishedManifestSchema.parse(JSON.parse(await readFile(path.join(server.archiveRoot, entry.name, MANIFEST_FILE), 'utf8')));
      if (manifest.importId === id) batches.push({ batchId: manifest.batchId, manifest });
    }
    return batches;
  },
};

/** Makes the archive root unwritable (for root, which ignores permissions: a file where the staging folder goes). */
async function blockArchive(root: string): Promise<{ release(): Promise<void> }> {
  await mkdir(root, { recursive: true });
  if (process.getuid?.() === 0) {
    await rm(path.join(root, '.staging'), { recursive: true, force: true });
    await writeFile(path.join(root, '.staging'), 'blocked');
    return { release: () => rm(path.join(root, '.staging'), { force: true }) };
  }
  await chmod(root, 0o500);
  return { release: () => chmod(root, 0o700) };
}

/** Edits of each kind the issue names, and what the archive must then hold. */
const edits: Array<{ kind: string; edit(server: TestServer, id: string): Promise<void>; check(manifest: BatchManifest): void }> = [
  {
    kind: 'attribute values',
    async edit(server, id) {
      const response = await server.as(ALICE)(
        paths.document('acme', id, 1),
        json('PUT', { templateId: 'invoice', attributes: { ...VALID_INVOICE, supplier: 'Edited after the failure', amount: 99 } }),
      );
      expect(response.status).toBe(200);
    },
    check(manifest) {
      expect(manifest.documents[0]?.attributes).toMatchObject({ supplier: 'Edited after the failure', amount: 99 });
    },
  },
  {
    kind: 'a page added',
    async edit(server, id) {
      const response = await server.as(ALICE)(paths.pages('acme', id, 1), upload(new TextEncoder().encode('a second page'), 'note.txt', 'text/plain'));
      expect(response.status).toBe(201);
    },
    check(manifest) {
      expect(manifest.documents[0]?.pages.map((p) => p.filename)).toEqual(['message.eml', 'note.txt']);
    },
  },
  {
    kind: 'a document extracted',
    async edit(server, id) {
      const alice = server.as(ALICE);
      expect((await alice(paths.extract('acme', id, 1, 1), json('POST', {}))).status).toBe(201);
      expect((await alice(paths.document('acme', id, 2), json('PUT', { templateId: 'note', attributes: { title: 'The attachment' } }))).status).toBe(200);
    },
    check(manifest) {
      expect(manifest.documents.map((d) => [d.n, d.templateId])).toEqual([
        [1, 'invoice'],
        [2, 'note'],
      ]);
      expect(manifest.documents[1]?.attributes).toEqual({ title: 'The attachment' });
    },
  },
];

describe.each([filesystemArchive, httpArchive])('resubmitting to the $name archive after an uncertain failure', (archive) => {
  it.each(edits)('delivers the edited content ($kind) under the batch id TOA shows', async ({ edit, check }) => {
    const { server, id } = await archive.failedAfterStored();
    const [first] = await archive.batchesOf(server, id);

    await edit(server, id);
    const final = await submitted(server, id);

    expect(final.status).toBe('SUBMITTED');
    const batches = await archive.batchesOf(server, id);
    const delivered = batches.find((b) => b.batchId === final.damisBatchId);
    expect(delivered).toBeDefined();
    expect(delivered?.batchId).not.toBe(first?.batchId);
    check(delivered?.manifest as BatchManifest);
    // the content TOA shows is the content the archive holds
    expect(delivered?.manifest.documents.map((d) => d.attributes)).toEqual(final.documents.map((d) => d.attributes));
    const keys = final.attempts.map((a) => a.idempotencyKey);
    expect(keys.at(-1)).toBeDefined();
    expect(keys.at(-1)).not.toBe(keys.at(-2));
    expect(keys.at(-1)).toBe(delivered?.manifest.idempotencyKey);
  });

  it('answers an unchanged resubmit with the batch the archive already holds', async () => {
    const { server, id } = await archive.failedAfterStored();
    const [first] = await archive.batchesOf(server, id);

    const final = await submitted(server, id);

    expect(final.status).toBe('SUBMITTED');
    expect(final.damisBatchId).toBe(first?.batchId);
    expect(await archive.batchesOf(server, id)).toHaveLength(1);
    const keys = final.attempts.map((a) => a.idempotencyKey);
    expect(new Set(keys).size).toBe(1);
  });
});
