import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { addPageResponseSchema, type Import, importSchema, sidecarSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir, corpusMessages } from './support/corpus.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

let server: TestServer;
let alice: ReturnType<TestServer['as']>;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { pageSizeMb: 1, pagesPerDocument: 40 } } });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function newImport(): Promise<Import> {
  return importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
}

function importDir(id: string): string {
  const [date, folder] = id.split('_') as [string, string];
  return path.join(server.dataRoot, 'acme', date, folder);
}

/** Every file under an import folder, relative to it. */
async function filesOf(id: string): Promise<string[]> {
  return (await readdir(importDir(id), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(importDir(id), path.join(e.parentPath, e.name)))
    .sort();
}

describe('pages over HTTP', () => {
  it('stores an EML as page-1.bin with its sidecar and lists it in import.json', async () => {
    const created = await newImport();
    const bytes = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
    const response = await alice(paths.pages('acme', created.id, 1), upload(bytes, 'Invoice.eml', 'message/rfc822'));
    expect(response.status).toBe(201);
    const page = addPageResponseSchema.parse(await response.json());
    expect(page).toMatchObject({
      m: 1,
      filename: 'Invoice.eml',
      size: bytes.length,
      contentType: 'message/rfc822',
      sha256: sha256(bytes),
      sidecar: 'page-1.meta.json',
    });
    expect(page.meta?.attachments.length).toBeGreaterThan(0);
    expect(await readFile(path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.bin'))).toEqual(bytes);
    const sidecar = sidecarSchema.parse(JSON.parse(await readFile(path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.meta.json'), 'utf8')));
    expect(sidecar).toEqual(page.meta);
    expect(sidecar.sha256).toBe(sha256(bytes));
    const stored = importSchema.parse(JSON.parse(await readFile(path.join(importDir(created.id), 'import.json'), 'utf8')));
    expect(stored.documents[0]?.pages).toEqual([
      { m: 1, filename: 'Invoice.eml', size: bytes.length, contentType: 'message/rfc822', sha256: sha256(bytes), sidecar: 'page-1.meta.json' },
    ]);
    expect(await filesOf(created.id)).toEqual(['doc-1/pages/page-1.bin', 'doc-1/pages/page-1.meta.json', 'import.json']);

    const download = await alice(paths.page('acme', created.id, 1, 1));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('message/rfc822');
    expect(download.headers.get('content-disposition')).toContain('Invoice.eml');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
  });

  it('rebuilds a missing or stale sidecar on demand', async () => {
    const created = await newImport();
    const bytes = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
    const first = addPageResponseSchema.parse(await (await alice(paths.pages('acme', created.id, 1), upload(bytes, 'a.eml', 'message/rfc822'))).json());
    const sidecarFile = path.join(importDir(created.id), 'doc-1', 'pages', 'page-1.meta.json');
    const { rm, writeFile } = await import('node:fs/promises');
    await rm(sidecarFile);
    const rebuilt = sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 1, 1))).json());
    expect(rebuilt).toEqual(first.meta);
    await writeFile(sidecarFile, JSON.stringify({ ...rebuilt, sha256: '0'.repeat(64), attachments: [] }));
    expect(sidecarSchema.parse(await (await alice(paths.pageMeta('acme', created.id, 1, 1))).json())).toEqual(first.meta);
    expect(JSON.parse(await readFile(sidecarFile, 'utf8'))).toEqual(first.meta);
  });

  it('keeps any other file as a page without a sidecar, and answers 422 for its meta', async () => {
    const created = await newImport();
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a]);
    const page = addPageResponseSchema.parse(await (await alice(paths.pages('acme', created.id, 1), upload(pdf, 'scan.pdf', 'application/pdf'))).json());
    expect(page).toEqual({ m: 1, filename: 'scan.pdf', size: pdf.length, contentType: 'application/pdf', sha256: sha256(pdf) });
    expect((await alice(paths.pageMeta('acme', created.id, 1, 1))).status).toBe(422);
    expect(await filesOf(created.id)).toEqual(['doc-1/pages/page-1.bin', 'import.json']);
  });

  it('keeps a non-ASCII filename as sent (UTF-8) without its folders; a control character in it is a clean 400', async () => {
    const created = await newImport();
    const bytes = new Uint8Array([1, 2, 3]);
    for (const [sent, kept] of [
      ['Faktura č. 7 – příloha.pdf', 'Faktura č. 7 – příloha.pdf'],
      ['../../etc/passwd', 'passwd'],
    ] as const) {
      const page = addPageResponseSchema.parse(await (await alice(paths.pages('acme', created.id, 1), upload(bytes, sent, 'application/pdf'))).json());
      expect(page.filename).toBe(kept);
    }
    const refused = await alice(paths.pages('acme', created.id, 1), upload(bytes, 'a\u0007b.txt', 'application/pdf'));
    expect(refused.status).toBe(400);
    expect(await filesOf(created.id)).toEqual(['doc-1/pages/page-1.bin', 'doc-1/pages/page-2.bin', 'import.json']);
  });

  it('cuts off an upload over the page size limit with 413 and leaves nothing behind', async () => {
    const created = await newImport();
    const big = new Uint8Array(1024 * 1024 + 1).fill(0x41);
    const response = await alice(paths.pages('acme', created.id, 1), upload(big, 'big.bin', 'application/octet-stream'));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await filesOf(created.id)).toEqual(['import.json']);
    expect(importSchema.parse(await (await alice(paths.import('acme', created.id))).json()).documents[0]?.pages).toEqual([]);
  });

  it('refuses malformed uploads with 4xx and leaves nothing behind', async () => {
    const created = await newImport();
    const url = paths.pages('acme', created.id, 1);
    const cases: RequestInit[] = [
      { method: 'POST', body: 'plain text', headers: { 'Content-Type': 'text/plain' } },
      {
        method: 'POST',
        body: '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
        headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
      },
      { method: 'POST', body: 'garbage', headers: { 'Content-Type': 'multipart/form-data' } },
      (() => {
        const form = new FormData();
        form.append('other', new Blob(['x']), 'x.txt');
        return { method: 'POST', body: form };
      })(),
      (() => {
        const form = new FormData();
        form.append('note', 'no file at all');
        return { method: 'POST', body: form };
      })(),
      (() => {
        const form = new FormData();
        form.append('file', new Blob(['a']), 'a.txt');
        form.append('file', new Blob(['b']), 'b.txt');
        return { method: 'POST', body: form };
      })(),
    ];
    for (const init of cases) {
      const response = await alice(url, init);
      expect(response.status, JSON.stringify(init.headers)).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect(await filesOf(created.id)).toEqual(['import.json']);
  });

  it('keeps 16 concurrent uploads to one import, each under its own number', async () => {
    const created = await newImport();
    const bodies = Array.from({ length: 16 }, (_, i) => new TextEncoder().encode(`page number ${i} `.repeat(2000 + i)));
    const responses = await Promise.all(bodies.map((b, i) => alice(paths.pages('acme', created.id, 1), upload(b, `p${i}.txt`, 'text/plain'))));
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(201));
    const pages = await Promise.all(responses.map(async (r) => addPageResponseSchema.parse(await r.json())));
    expect(new Set(pages.map((p) => p.m)).size).toBe(16);
    const stored = importSchema.parse(await (await alice(paths.import('acme', created.id))).json());
    expect(stored.documents[0]?.pages.map((p) => p.m).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const page of pages) {
      const i = Number(page.filename.slice(1, -4));
      expect(await readFile(path.join(importDir(created.id), 'doc-1', 'pages', `page-${page.m}.bin`))).toEqual(Buffer.from(bodies[i] as Uint8Array));
    }
  });

  it('answers 404 for an unknown document and keeps nothing', async () => {
    const created = await newImport();
    expect((await alice(paths.pages('acme', created.id, 7), upload(new Uint8Array([1]), 'a', 'text/plain'))).status).toBe(404);
    expect((await alice(paths.page('acme', created.id, 1, 9))).status).toBe(404);
    expect(await filesOf(created.id)).toEqual(['import.json']);
  });

  it('accepts every corpus message as a page with a sidecar, or refuses it with a clear 4xx', async () => {
    // the corpus holds a 3 MiB message: this server's 1 MB page limit would refuse it before it is read
    const roomy = await startTestServer({ overrides: { limits: { pageSizeMb: 8, pagesPerDocument: 40 } } });
    const alice = roomy.as('alice@acme.example');
    const newImport = async () => importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const outcomes: Record<string, number> = {};
    const messages = corpusMessages();
    expect(messages.length).toBeGreaterThan(110);
    let next = await newImport();
    let count = 0;
    for (const file of messages) {
      if (count === 35) {
        next = await newImport();
        count = 0;
      }
      const bytes = await readFile(file);
      const response = await alice(paths.pages('acme', next.id, 1), upload(bytes, path.basename(file), 'message/rfc822'));
      outcomes[path.relative(corpusDir, file)] = response.status;
      expect(response.status, file).toBeLessThan(500);
      if (response.status === 201) {
        count += 1;
        const page = addPageResponseSchema.parse(await response.json());
        expect(page.meta, file).toBeDefined();
        expect(page.sha256).toBe(sha256(bytes));
      } else {
        expect(response.status, file).toBe(422);
        expect(((await response.json()) as { code: string }).code).toBe('MESSAGE_UNPARSEABLE');
      }
    }
    expect(Object.values(outcomes).filter((s) => s === 201).length).toBeGreaterThan(messages.length * 0.9);
    await roomy.dispose();
  });
});
