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

describe('ImportIndex', () => {
  it('lists the owner’s imports newest first, by message when asked', async () => {
    const index = new ImportIndex();
    await index.ready(async function* () {
      yield anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<m>' } });
      yield anImport('2026-11-21_0900-00000002');
      yield anImport('2026-11-22_0900-00000003', { userId: 'b@x' });
    });
    expect(index.owned('a@x').map((e) => e.id)).toEqual(['2026-11-21_0900-00000002', '2026-11-20_0900-00000001']);
    expect(index.owned('a@x', '<m>').map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect(index.owned('a@x')[0]).toMatchObject({ documentCount: 1, pageCount: 0, status: 'DRAFT' });
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
    expect(index.owned('a@x').map((e) => [e.id, e.status])).toEqual([[stale.id, 'SUBMITTED']]);
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
    expect(index.owned('a@x')).toHaveLength(1);
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
