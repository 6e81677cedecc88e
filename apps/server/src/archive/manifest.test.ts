import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveBatch } from './archive-client.js';
import { contentKey } from './manifest.js';
import { IMPORT_ID, samplePages, writeBatch } from '../../test/support/batch-fixture.js';

let dir: string;
let batch: ArchiveBatch;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'toa-manifest-'));
  batch = await writeBatch(dir, samplePages());
});
afterEach(() => rm(dir, { recursive: true, force: true }));

type Edit = (b: ArchiveBatch) => ArchiveBatch;
const firstDocument = (b: ArchiveBatch, change: (d: ArchiveBatch['documents'][number]) => ArchiveBatch['documents'][number]): ArchiveBatch => ({
  ...b,
  documents: b.documents.map((d) => (d.n === 1 ? change(d) : d)),
});

describe('contentKey', () => {
  it('is the import id and 16 hex digits of the content digest', () => {
    expect(contentKey(batch)).toMatch(new RegExp(`^${IMPORT_ID}\\.[0-9a-f]{16}$`));
  });

  it.each<[string, Edit]>([
    ['when it was sent', (b) => ({ ...b, submittedAt: '2026-11-22T10:00:00.000+01:00' })],
    [
      'the order attribute values were entered in',
      (b) => firstDocument(b, (d) => ({ ...d, attributes: Object.fromEntries(Object.entries(d.attributes).reverse()) })),
    ],
    [
      'where the page bytes are read from',
      (b) => firstDocument(b, (d) => ({ ...d, pages: d.pages.map((p) => ({ ...p, bytes: () => Promise.resolve(new Blob(['elsewhere'])) })) })),
    ],
  ])('does not change with %s', (_what, edit) => {
    expect(contentKey(edit(batch))).toBe(contentKey(batch));
  });

  it.each<[string, Edit]>([
    ['an attribute value', (b) => firstDocument(b, (d) => ({ ...d, attributes: { ...d.attributes, supplier: 'Other' } }))],
    ['an attribute of the same text but another type', (b) => firstDocument(b, (d) => ({ ...d, attributes: { ...d.attributes, amount: '42.5' } }))],
    ['an attribute added', (b) => firstDocument(b, (d) => ({ ...d, attributes: { ...d.attributes, reference: 'AB-1234' } }))],
    ['an attribute removed', (b) => firstDocument(b, (d) => ({ ...d, attributes: { supplier: d.attributes.supplier as string } }))],
    ['the template', (b) => firstDocument(b, (d) => ({ ...d, templateId: 'note' }))],
    ['a page rewritten (its hash)', (b) => firstDocument(b, (d) => ({ ...d, pages: d.pages.map((p) => ({ ...p, sha256: 'f'.repeat(64) })) }))],
    ['a page renamed', (b) => firstDocument(b, (d) => ({ ...d, pages: d.pages.map((p) => ({ ...p, filename: 'other.eml' })) }))],
    [
      'a page added',
      (b) => firstDocument(b, (d) => ({ ...d, pages: [...d.pages, { ...(d.pages[0] as ArchiveBatch['documents'][number]['pages'][number]), m: 2 }] })),
    ],
    ['a document removed', (b) => ({ ...b, documents: b.documents.slice(0, 1) })],
    ['another import', (b) => ({ ...b, importId: '2026-11-21_0942-00000000' })],
  ])('changes with %s', (_what, edit) => {
    expect(contentKey(edit(batch))).not.toBe(contentKey(batch));
  });
});
