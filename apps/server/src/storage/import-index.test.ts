import type { Import } from '@toa/api/imports';
import { describe, expect, it } from 'vitest';
import { ImportIndex } from './import-index.js';

function anImport(id: string, overrides: Partial<Import> = {}): Import {
  return {
    schemaVersion: 1,
    id,
    domain: 'acme',
    status: 'DRAFT',
    createdAt: `${id.slice(0, 10)}T09:00:00.000+01:00`,
    updatedAt: `${id.slice(0, 10)}T09:00:00.000+01:00`,
    userId: 'a@x',
    userName: 'A',
    userEmail: 'a@x',
    source: {},
    documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }],
    attempts: [],
    ...overrides,
  };
}

/** A scan that yields what it is given, waiting for `release` before the last item. */
function pausedScan(items: Import[]): { scan: () => AsyncIterable<Import>; release: () => void } {
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release,
    scan: async function* () {
      for (const [i, item] of items.entries()) {
        if (i === items.length - 1) await gate;
        yield item;
      }
    },
  };
}

/** The ids (or entries) of a's first 100 imports (of one message, when given). */
function listed(index: ImportIndex, messageId?: string) {
  return index.owned('a@x', { ...(messageId === undefined ? {} : { messageId }), offset: 0, limit: 100 }).items;
}

describe('ImportIndex', () => {
  it('lists the owner’s imports newest first, by message when asked', async () => {
    const index = new ImportIndex();
    await index.ready(async function* () {
      yield anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<m>' } });
      yield anImport('2026-11-21_0900-00000002');
      yield anImport('2026-11-22_0900-00000003', { userId: 'b@x' });
    });
    expect(listed(index).map((e) => e.id)).toEqual(['2026-11-21_0900-00000002', '2026-11-20_0900-00000001']);
    expect(listed(index, '<m>').map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect(listed(index)[0]).toMatchObject({ documentCount: 1, pageCount: 0, status: 'DRAFT' });
  });

  it('orders by the instant, not the text, when the zone offsets differ, and pages the listing', async () => {
    const index = new ImportIndex();
    await index.ready(async function* () {
      // 08:00Z and 08:30Z (RFC 3339 §5.6): as text the first would sort after the second
      yield anImport('2026-11-20_0900-00000001', { createdAt: '2026-11-20T09:00:00.000+01:00' });
      yield anImport('2026-11-20_0830-00000002', { createdAt: '2026-11-20T08:30:00.000Z' });
      yield anImport('2026-11-19_0900-00000003');
    });
    expect(listed(index).map((e) => e.id)).toEqual(['2026-11-20_0830-00000002', '2026-11-20_0900-00000001', '2026-11-19_0900-00000003']);
    const page = index.owned('a@x', { offset: 1, limit: 1 });
    expect(page.items.map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect(page.total).toBe(3);
    expect(index.owned('nobody', { offset: 0, limit: 10 })).toEqual({ items: [], total: 0 });
  });

  it('moves an entry between message listings when its source changes, and drops it when forgotten', async () => {
    const index = new ImportIndex();
    index.record(anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<m>' } }));
    index.record(anImport('2026-11-21_0900-00000002', { source: { internetMessageId: '<m>' } }));
    index.record(anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<n>' } }));
    expect(listed(index, '<m>').map((e) => e.id)).toEqual(['2026-11-21_0900-00000002']);
    expect(listed(index, '<n>').map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect(listed(index).map((e) => e.id)).toEqual(['2026-11-21_0900-00000002', '2026-11-20_0900-00000001']);
    index.forget('2026-11-21_0900-00000002');
    expect(listed(index, '<m>')).toEqual([]);
    expect(listed(index).map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
  });

  it('keeps a write that races the build over what the build read, and keeps removed imports out', async () => {
    const index = new ImportIndex();
    const stale = anImport('2026-11-20_0900-00000001');
    const gone = anImport('2026-11-20_0900-00000002');
    const { scan, release } = pausedScan([gone, stale]);
    const building = index.ready(scan);
    await new Promise((resolve) => setImmediate(resolve));
    index.record({ ...stale, status: 'SUBMITTED', damisBatchId: 'B-1' });
    index.forget(gone.id);
    release();
    await building;
    expect(listed(index).map((e) => [e.id, e.status])).toEqual([[stale.id, 'SUBMITTED']]);
  });

  it('builds once, and again after a failed build', async () => {
    const index = new ImportIndex();
    let scans = 0;
    const failing = async function* (): AsyncIterable<Import> {
      scans += 1;
      yield* [];
      throw new Error('disk gone');
    };
    await expect(index.ready(failing)).rejects.toThrow('disk gone');
    const working = async function* (): AsyncIterable<Import> {
      scans += 1;
      yield anImport('2026-11-20_0900-00000001');
    };
    await index.ready(working);
    await index.ready(working);
    expect(scans).toBe(2);
    expect(listed(index)).toHaveLength(1);
  });

  it('keeps each owner’s and the domain’s imports and page bytes as entries come, change and go', async () => {
    const index = new ImportIndex();
    const page = (m: number, size: number) => ({ m, filename: `p${m}`, size, contentType: 'application/pdf', sha256: 'x'.repeat(64) });
    await index.ready(async function* () {
      yield anImport('2026-11-20_0900-00000001', { documents: [{ n: 1, templateId: null, attributes: {}, pages: [page(1, 100), page(2, 50)] }] });
      yield anImport('2026-11-20_0900-00000002', { userId: 'b@x', documents: [{ n: 1, templateId: null, attributes: {}, pages: [page(1, 7)] }] });
    });
    expect(index.usage('a@x')).toEqual({ user: { imports: 1, bytes: 150 }, domain: { imports: 2, bytes: 157 } });

    // an extraction adds a document with pages of its own: they count as well
    index.record(
      anImport('2026-11-20_0900-00000001', {
        documents: [
          { n: 1, templateId: null, attributes: {}, pages: [page(1, 60), page(2, 50)] },
          { n: 2, templateId: null, attributes: {}, pages: [page(1, 30)] },
        ],
      }),
    );
    expect(index.usage('a@x').user).toEqual({ imports: 1, bytes: 140 });
    index.record(anImport('2026-11-21_0900-00000003'));
    expect(index.usage('a@x').user).toEqual({ imports: 2, bytes: 140 });

    index.forget('2026-11-20_0900-00000001');
    index.forget('2026-11-20_0900-00000001');
    expect(index.usage('a@x')).toEqual({ user: { imports: 1, bytes: 0 }, domain: { imports: 2, bytes: 7 } });
    index.forget('2026-11-21_0900-00000003');
    expect(index.usage('a@x')).toEqual({ user: { imports: 0, bytes: 0 }, domain: { imports: 1, bytes: 7 } });
    expect(index.usage('nobody@x').user).toEqual({ imports: 0, bytes: 0 });
  });

  it('counts an import once when a write races the build', async () => {
    const index = new ImportIndex();
    const item = anImport('2026-11-20_0900-00000001', {
      documents: [{ n: 1, templateId: null, attributes: {}, pages: [{ m: 1, filename: 'a', size: 10, contentType: 'text/plain', sha256: 'x'.repeat(64) }] }],
    });
    const { scan, release } = pausedScan([anImport('2026-11-20_0900-00000009'), item]);
    const building = index.ready(scan);
    await new Promise((resolve) => setImmediate(resolve));
    index.record(item);
    release();
    await building;
    expect(index.usage('a@x').user).toEqual({ imports: 2, bytes: 10 });
  });

  it('counts the imports of every owner by status, following writes and removals', async () => {
    const index = new ImportIndex();
    await index.ready(async function* () {
      yield anImport('2026-11-20_0900-00000001');
      yield anImport('2026-11-20_0900-00000002', { userId: 'b@x', status: 'SUBMITTED' });
      yield anImport('2026-11-20_0900-00000003', { status: 'FAILED' });
    });
    expect(Object.fromEntries(index.countByStatus())).toEqual({ DRAFT: 1, SUBMITTED: 1, FAILED: 1 });
    index.record(anImport('2026-11-20_0900-00000001', { status: 'PENDING' }));
    index.forget('2026-11-20_0900-00000003');
    expect(Object.fromEntries(index.countByStatus())).toEqual({ PENDING: 1, SUBMITTED: 1 });
  });
});
