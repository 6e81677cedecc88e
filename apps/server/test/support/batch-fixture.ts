import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openFileAsBlob } from '../../src/fs/atomic-fs.js';
import type { ArchiveBatch } from '../../src/archive/archive-client.js';
import { contentKey } from '../../src/archive/manifest.js';

export interface PageSpec {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export const IMPORT_ID = '2026-11-21_0942-3fa85f64';
export const DOMAIN = 'acme';

/** A bigger-than-one-chunk binary page, so streamed copies are exercised. */
export function binaryBytes(size: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed) % 256;
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes the pages as an import would hold them (`doc-N/pages/page-M.bin`
 * under `importDir`) and describes them as a batch, hashes included.
 */
export async function writeBatch(importDir: string, documents: PageSpec[][], importId = IMPORT_ID): Promise<ArchiveBatch> {
  const batch: ArchiveBatch = {
    importId,
    idempotencyKey: '',
    domain: DOMAIN,
    submittedAt: '2026-11-21T09:45:00.000+01:00',
    submitter: { userId: 'u-1', name: 'Jana Nováková', email: 'jana@acme.example' },
    source: { internetMessageId: '<m1@acme.example>', subject: 'Invoice 42', from: 'supplier@example.com' },
    documents: [],
  };
  for (const [index, pages] of documents.entries()) {
    const n = index + 1;
    await mkdir(path.dirname(fixturePageFile(importDir, n, 1)), { recursive: true });
    const document: ArchiveBatch['documents'][number] = {
      n,
      templateId: 'invoice',
      attributes: { supplier: 'Supplier & Co', amount: 42.5, confidential: false },
      pages: [],
    };
    for (const [pageIndex, page] of pages.entries()) {
      const m = pageIndex + 1;
      const file = fixturePageFile(importDir, n, m);
      await writeFile(file, page.bytes);
      document.pages.push({
        m,
        filename: page.filename,
        contentType: page.contentType,
        size: page.bytes.length,
        sha256: sha256(page.bytes),
        bytes: (options) => openFileAsBlob(file, options),
      });
    }
    batch.documents.push(document);
  }
  return withKey(batch);
}

/** Where `writeBatch` put page `m` of document `n`: what a test damages or removes. */
export function fixturePageFile(importDir: string, n: number, m: number): string {
  return path.join(importDir, `doc-${n}`, 'pages', `page-${m}.bin`);
}

/** The batch under the key that names its content, as the import service sends it. */
export function withKey(batch: ArchiveBatch): ArchiveBatch {
  return { ...batch, idempotencyKey: contentKey(batch) };
}

/** A message with an attachment split out into a second document. */
export function samplePages(): PageSpec[][] {
  return [
    [{ filename: 'Invoice 42.eml', contentType: 'message/rfc822', bytes: new TextEncoder().encode('Subject: Invoice 42\r\n\r\nHello\r\n') }],
    [
      { filename: 'invoice.PDF', contentType: 'application/pdf', bytes: binaryBytes(200_000) },
      { filename: 'no extension', contentType: 'application/octet-stream', bytes: binaryBytes(10, 3) },
    ],
  ];
}
