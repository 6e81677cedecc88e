import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { documentSchema, type Import, importSchema, listImportsResponseSchema, sidecarSchema } from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { corpusDir } from './support/corpus.js';
import { json, settled, startTestServer, type TestServer, upload } from './support/server.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer();
  alice = server.as('alice@acme.example', 'Alice Doe');
});
afterAll(() => server.dispose());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function importDir(id: string): string {
  const [date, folder] = id.split('_') as [string, string];
  return path.join(server.dataRoot, 'acme', date, folder);
}

async function importWithMessage(file = path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml')): Promise<Import> {
  const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', { source: { internetMessageId: '<m@x>' } }))).json());
  const response = await alice(paths.pages('acme', created.id, 1), upload(await readFile(file), 'message.eml', 'message/rfc822'));
  expect(response.status).toBe(201);
  return created;
}

describe('documents over HTTP', () => {
  it('sets template and attributes, and answers 422 per field for bad values', async () => {
    const created = await importWithMessage();
    const ok = await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }));
    expect(ok.status).toBe(200);
    expect(documentSchema.parse(await ok.json())).toMatchObject({ n: 1, templateId: 'invoice', attributes: VALID_INVOICE });
    const stored = importSchema.parse(JSON.parse(await readFile(path.join(importDir(created.id), 'import.json'), 'utf8')));
    expect(stored.documents[0]?.attributes).toEqual(VALID_INVOICE);

    const bad = await alice(
      paths.document('acme', created.id, 1),
      json('PUT', { templateId: 'invoice', attributes: { ...VALID_INVOICE, amount: -1, reference: 'nope', department: 'XX', colour: 'red', supplier: '' } }),
    );
    expect(bad.status).toBe(422);
    const problem = problemSchema.parse(await bad.json());
    expect(problem.code).toBe('ATTRIBUTES_INVALID');
    expect(Object.fromEntries((problem.errors ?? []).map((e) => [e.field, e.code]))).toEqual({
      amount: 'min',
      reference: 'pattern',
      department: 'choice',
      colour: 'unknown',
      supplier: 'required',
    });
    // nothing changed
    expect(importSchema.parse(JSON.parse(await readFile(path.join(importDir(created.id), 'import.json'), 'utf8'))).documents[0]?.attributes).toEqual(
      VALID_INVOICE,
    );

    const unknown = await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'nope', attributes: {} }));
    expect(unknown.status).toBe(422);
    expect(problemSchema.parse(await unknown.json()).code).toBe('TEMPLATE_UNKNOWN');
  });

  it('extracts attachments into a sibling document and rewrites the EML and its sidecar', async () => {
    const created = await importWithMessage();
    const original = await readFile(path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.bin'));
    const meta = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 1, 1))).json());
    const attachment = meta.attachments.find((a) => !a.inline);
    expect(attachment).toBeDefined();
    const response = await alice(paths.extract('acme', created.id, 1, 1), json('POST', { attachments: [attachment?.partId] }));
    expect(response.status).toBe(201);
    const doc = documentSchema.parse(await response.json());
    expect(doc).toMatchObject({ n: 2, templateId: null, origin: { document: 1, page: 1, partIds: [attachment?.partId] } });
    expect(doc.pages).toHaveLength(1);
    expect(doc.pages[0]).toMatchObject({ m: 1, filename: attachment?.filename, contentType: attachment?.contentType, size: attachment?.size });
    const extracted = await readFile(path.join(importDir(created.id), 'doc-2', 'pages', 'page-1.bin'));
    expect(sha256(extracted)).toBe(doc.pages[0]?.sha256);

    const rewritten = await readFile(path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.bin'));
    expect(rewritten.length).toBeLessThan(original.length);
    const stored = importSchema.parse(await (await alice(paths.import('acme', created.id))).json());
    expect(stored.documents[0]?.pages[0]).toMatchObject({ size: rewritten.length, sha256: sha256(rewritten) });
    const after = sidecarSchema.parse(JSON.parse(await readFile(path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.meta.json'), 'utf8')));
    expect(after.sha256).toBe(sha256(rewritten));
    expect(after.attachments.map((a) => a.filename)).not.toContain(attachment?.filename);
    const leftovers = (await readdir(importDir(created.id), { recursive: true })).filter((f) => f.endsWith('.tmp') || f.includes('journal'));
    expect(leftovers).toEqual([]);

    // unknown part: 404, nothing changes
    const before = await readFile(path.join(importDir(created.id), 'import.json'), 'utf8');
    expect((await alice(paths.extract('acme', created.id, 1, 1), json('POST', { attachments: ['99'] }))).status).toBe(404);
    expect(await readFile(path.join(importDir(created.id), 'import.json'), 'utf8')).toBe(before);

    // the sibling can be removed again; document 1 cannot
    expect((await alice(paths.document('acme', created.id, 2), { method: 'DELETE' })).status).toBe(204);
    expect((await alice(paths.document('acme', created.id, 1), { method: 'DELETE' })).status).toBe(400);
    expect((await readdir(importDir(created.id))).sort()).toEqual(['doc-1', 'import.json']);
  });
});

describe('submit over HTTP', () => {
  it('refuses an incomplete import with 422 listing every problem', async () => {
    const created = await importWithMessage();
    const response = await alice(paths.submit('acme', created.id), { method: 'POST' });
    expect(response.status).toBe(422);
    const problem = problemSchema.parse(await response.json());
    expect(problem.errors?.map((e) => e.field)).toEqual(['documents.1.templateId']);
    expect(importSchema.parse(await (await alice(paths.import('acme', created.id))).json()).status).toBe('DRAFT');
  });

  it('archives a complete import: SUBMITTED with a batch id, files in the archive, then 409 for changes', async () => {
    const created = await importWithMessage();
    await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }));
    const response = await alice(paths.submit('acme', created.id), { method: 'POST' });
    expect(response.status).toBe(202);
    expect(['PENDING', 'SUBMITTED']).toContain(importSchema.parse(await response.json()).status);
    const final = importSchema.parse(await settled(alice, paths.import('acme', created.id)));
    expect(final.status).toBe('SUBMITTED');
    expect(final.damisBatchId).toBeTruthy();
    expect(final.attempts).toEqual([expect.objectContaining({ outcome: 'SUBMITTED', damisBatchId: final.damisBatchId })]);
    expect(final.documents[0]?.attributes.caseNumber).toBe(`${final.id}/1`);
    const listed = listImportsResponseSchema.parse(await (await alice(paths.imports('acme'))).json());
    expect(listed.items.find((i) => i.id === final.id)).toMatchObject({ status: 'SUBMITTED', damisBatchId: final.damisBatchId, pageCount: 1 });
    const archived = await readdir(server.archiveRoot, { recursive: true });
    expect(archived.some((f) => f.endsWith('manifest.json'))).toBe(true);

    for (const attempt of [
      alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE })),
      alice(paths.pages('acme', created.id, 1), upload(new Uint8Array([1]), 'x', 'text/plain')),
      alice(paths.submit('acme', created.id), { method: 'POST' }),
      alice(paths.import('acme', created.id), { method: 'DELETE' }),
      alice(paths.extract('acme', created.id, 1, 1), json('POST', {})),
    ]) {
      const answer = await attempt;
      expect(answer.status).toBe(409);
      expect(problemSchema.parse(await answer.json()).code).toBe('IMPORT_NOT_EDITABLE');
    }
    expect((await readdir(path.join(importDir(created.id), 'doc-1', 'pages'))).sort()).toEqual(['page-1.bin', 'page-1.meta.json']);
    const calls = (await readFile(path.join(server.logDir, 'archive-calls.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { importId: string });
    expect(calls.some((c) => c.importId === created.id)).toBe(true);
  });

  it('records FAILED with the error when the archive fails, and a retry succeeds', async () => {
    const created = await importWithMessage();
    await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }));
    // the archive root cannot be written: a read-only folder
    await mkdir(server.archiveRoot, { recursive: true });
    await chmod(server.archiveRoot, 0o500);
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      // root ignores permissions: block the archive with a file where its staging folder goes
      await rm(path.join(server.archiveRoot, '.staging'), { recursive: true, force: true });
      await writeFile(path.join(server.archiveRoot, '.staging'), 'blocked');
    }
    await alice(paths.submit('acme', created.id), { method: 'POST' });
    const failed = importSchema.parse(await settled(alice, paths.import('acme', created.id)));
    await chmod(server.archiveRoot, 0o700);
    if (isRoot) await rm(path.join(server.archiveRoot, '.staging'), { force: true });
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBeTruthy();
    expect(failed.attempts).toEqual([expect.objectContaining({ outcome: 'FAILED' })]);

    expect((await alice(paths.submit('acme', created.id), { method: 'POST' })).status).toBe(202);
    const retried = importSchema.parse(await settled(alice, paths.import('acme', created.id)));
    expect(retried.status).toBe('SUBMITTED');
    expect(retried.error).toBeUndefined();
    expect(retried.attempts.map((a) => a.outcome)).toEqual(['FAILED', 'SUBMITTED']);
  });
});
