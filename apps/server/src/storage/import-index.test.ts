import type { Import, ImportSummary } from '@toa/api/imports';
import { IMPORT_STATUSES } from '@toa/api/imports';
import { seededRandom } from '@toa/fixtures/random';
import { beforeEach, describe, expect, it } from 'vitest';
import { ImportIndex, type ImportIndexOptions, type ListingQuery } from './import-index.js';

/** What the import.json files hold, as far as these tests go: the last version of each import made or written. */
const disk = new Map<string, Import>();
beforeEach(() => disk.clear());

/** An index whose lines not kept in memory are read from `disk`. */
function newIndex(options?: ImportIndexOptions): ImportIndex {
  return new ImportIndex(async (id) => disk.get(id), options);
}

/** An import.json written and recorded, as DomainStorage does. */
function write(index: ImportIndex, current: Import): void {
  disk.set(current.id, current);
  index.record(current);
}

function anImport(id: string, overrides: Partial<Import> = {}): Import {
  const made: Import = {
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
  disk.set(id, made);
  return made;
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

/** `index.owned` with each line parsed back into its ImportSummary. */
async function ownedLines(index: ImportIndex, userId: string, query: ListingQuery): Promise<{ items: ImportSummary[]; total: number }> {
  const { items, total } = await index.owned(userId, query);
  return { items: items.map((json) => JSON.parse(json) as ImportSummary), total };
}

/** The ids (or entries) of a's first 100 imports (of one message, when given). */
async function listed(index: ImportIndex, messageId?: string) {
  return (await ownedLines(index, 'a@x', { ...(messageId === undefined ? {} : { messageId }), offset: 0, limit: 100 })).items;
}

describe('ImportIndex', () => {
  it('lists the owner’s imports newest first, by message when asked', async () => {
    const index = newIndex();
    await index.ready(async function* () {
      yield anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<m>' } });
      yield anImport('2026-11-21_0900-00000002');
      yield anImport('2026-11-22_0900-00000003', { userId: 'b@x' });
    });
    expect((await listed(index)).map((e) => e.id)).toEqual(['2026-11-21_0900-00000002', '2026-11-20_0900-00000001']);
    expect((await listed(index, '<m>')).map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect((await listed(index))[0]).toMatchObject({ documentCount: 1, pageCount: 0, status: 'DRAFT' });
  });

  it('orders by the instant, not the text, when the zone offsets differ, and pages the listing', async () => {
    const index = newIndex();
    await index.ready(async function* () {
      // 08:00Z and 08:30Z (RFC 3339 §5.6): as text the first would sort after the second
      yield anImport('2026-11-20_0900-00000001', { createdAt: '2026-11-20T09:00:00.000+01:00' });
      yield anImport('2026-11-20_0830-00000002', { createdAt: '2026-11-20T08:30:00.000Z' });
      yield anImport('2026-11-19_0900-00000003');
    });
    expect((await listed(index)).map((e) => e.id)).toEqual(['2026-11-20_0830-00000002', '2026-11-20_0900-00000001', '2026-11-19_0900-00000003']);
    const page = await ownedLines(index, 'a@x', { offset: 1, limit: 1 });
    expect(page.items.map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect(page.total).toBe(3);
    expect(await ownedLines(index, 'nobody', { offset: 0, limit: 10 })).toEqual({ items: [], total: 0 });
  });

  it('moves an entry between message listings when its source changes, and drops it when forgotten', async () => {
    const index = newIndex();
    index.record(anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<m>' } }));
    index.record(anImport('2026-11-21_0900-00000002', { source: { internetMessageId: '<m>' } }));
    index.record(anImport('2026-11-20_0900-00000001', { source: { internetMessageId: '<n>' } }));
    expect((await listed(index, '<m>')).map((e) => e.id)).toEqual(['2026-11-21_0900-00000002']);
    expect((await listed(index, '<n>')).map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
    expect((await listed(index)).map((e) => e.id)).toEqual(['2026-11-21_0900-00000002', '2026-11-20_0900-00000001']);
    index.forget('2026-11-21_0900-00000002');
    expect(await listed(index, '<m>')).toEqual([]);
    expect((await listed(index)).map((e) => e.id)).toEqual(['2026-11-20_0900-00000001']);
  });

  it('keeps a write that races the build over what the build read, and keeps removed imports out', async () => {
    const index = newIndex();
    const stale = anImport('2026-11-20_0900-00000001');
    const gone = anImport('2026-11-20_0900-00000002');
    const { scan, release } = pausedScan([gone, stale]);
    const building = index.ready(scan);
    await new Promise((resolve) => setImmediate(resolve));
    write(index, { ...stale, status: 'SUBMITTED', damisBatchId: 'B-1' });
    index.forget(gone.id);
    release();
    await building;
    expect((await listed(index)).map((e) => [e.id, e.status])).toEqual([[stale.id, 'SUBMITTED']]);
  });

  it('builds once, and again after a failed build', async () => {
    const index = newIndex();
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
    expect(await listed(index)).toHaveLength(1);
  });

  it('keeps each owner’s and the domain’s imports and page bytes as entries come, change and go', async () => {
    const index = newIndex();
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
    const index = newIndex();
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
    const index = newIndex();
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

  it('reads the lines it does not keep in memory from import.json, and leaves out one whose file is gone', async () => {
    const index = newIndex({ summaries: 0 });
    await index.ready(async function* () {
      yield anImport('2026-11-21_0900-00000002', { source: { subject: 'second' } });
      yield anImport('2026-11-20_0900-00000001', { source: { subject: 'first', to: ['x@y.example'] } });
    });
    expect((await listed(index)).map((e) => e.source)).toEqual([{ subject: 'second' }, { subject: 'first', to: ['x@y.example'] }]);
    // what the file says now is what the line shows
    disk.set('2026-11-20_0900-00000001', anImport('2026-11-20_0900-00000001', { source: { subject: 'edited' } }));
    disk.delete('2026-11-21_0900-00000002');
    const page = await ownedLines(index, 'a@x', { offset: 0, limit: 10 });
    expect(page.items.map((e) => e.source.subject)).toEqual(['edited']);
  });

  it('keeps no line read from disk while a write or a removal of its import landed', async () => {
    // a loader that answers when released, with what import.json held when it was asked
    let hold = true;
    const held: Array<() => void> = [];
    const load = (id: string): Promise<Import | undefined> => {
      const read = disk.get(id);
      return hold ? new Promise((resolve) => held.push(() => resolve(read))) : Promise.resolve(read);
    };
    const release = (): void => {
      hold = false;
      for (const answer of held.splice(0)) answer();
    };

    // a write lands while the old content is being read: the next listing shows the write
    const written = new ImportIndex(load);
    const first = anImport('2026-11-20_0900-00000001', { source: { subject: 'before' } });
    await written.ready(async function* () {
      yield first;
    });
    const racing = listed(written);
    write(written, { ...first, source: { subject: 'after' } });
    release();
    await racing;
    expect((await listed(written)).map((e) => e.source.subject)).toEqual(['after']);

    // an import removed while read, its slot taken by a new one: the new one's line stays its own
    hold = true;
    const reused = new ImportIndex(load);
    const removed = anImport('2026-11-20_0900-00000002');
    await reused.ready(async function* () {
      yield removed;
    });
    const reading = listed(reused);
    reused.forget(removed.id);
    write(reused, anImport('2026-11-21_0900-00000003'));
    release();
    await reading;
    expect((await listed(reused)).map((e) => e.id)).toEqual(['2026-11-21_0900-00000003']);
  });

  it('agrees with a plain model of the imports through random writes, rewrites and removals', async () => {
    const random = seededRandom(12);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const owners = ['a@x', 'b@x', 'c@x'];
    const messages = ['<m1>', '<m2>', '<m3>'];
    // the model: every live import, as last written
    const model = new Map<string, Import>();
    const index = newIndex({ summaries: 5 });
    const ids: string[] = [];
    for (let step = 0; step < 600; step += 1) {
      const roll = random();
      if (roll < 0.5 || ids.length === 0) {
        // a new import; created at one of few instants, so ties are ordered by id
        const day = 10 + Math.floor(random() * 5);
        const id = `2026-11-${day}_${pick(['0900', '0930', '1000'])}-${Math.floor(random() * 2 ** 32)
          .toString(16)
          .padStart(8, '0')}`;
        const made = anImport(id, {
          userId: pick(owners),
          createdAt: `2026-11-${day}T${pick(['09', '10'])}:00:00.000${pick(['Z', '+01:00'])}`,
          source: random() < 0.25 ? {} : { internetMessageId: pick(messages) },
          status: pick(IMPORT_STATUSES),
          documents: [
            {
              n: 1,
              templateId: null,
              attributes: {},
              pages: [{ m: 1, filename: 'p', size: Math.floor(random() * 1000), contentType: 'text/plain', sha256: 'x'.repeat(64) }],
            },
          ],
        });
        ids.push(id);
        model.set(id, made);
        index.record(made);
      } else if (roll < 0.8) {
        // a rewrite of a live one: status, message and pages change, owner and createdAt stay
        if (model.size === 0) continue;
        const before = pick([...model.values()]);
        const after: Import = { ...before, status: pick(IMPORT_STATUSES), source: random() < 0.25 ? {} : { internetMessageId: pick(messages) } };
        write(index, after);
        model.set(after.id, after);
      } else {
        const id = pick(ids);
        index.forget(id);
        model.delete(id);
        disk.delete(id);
      }
      if (step % 50 !== 49) continue;
      for (const owner of owners) {
        const mine = [...model.values()]
          .filter((x) => x.userId === owner)
          .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
        const offset = Math.floor(random() * 5);
        const limit = 1 + Math.floor(random() * 40);
        const page = await ownedLines(index, owner, { offset, limit });
        expect(page.total).toBe(mine.length);
        expect(page.items.map((x) => [x.id, x.status])).toEqual(mine.slice(offset, offset + limit).map((x) => [x.id, x.status]));
        for (const messageId of messages) {
          const ofMessage = mine.filter((x) => x.source.internetMessageId === messageId);
          const found = await ownedLines(index, owner, { messageId, offset: 0, limit: 200 });
          expect(found.items.map((x) => x.id)).toEqual(ofMessage.map((x) => x.id));
          expect(found.total).toBe(ofMessage.length);
        }
        const bytes = mine.reduce((sum, x) => sum + (x.documents[0]?.pages[0]?.size ?? 0), 0);
        expect(index.usage(owner).user).toEqual({ imports: mine.length, bytes });
      }
      expect(index.size).toBe(model.size);
      const statuses = new Map<string, number>();
      for (const x of model.values()) statuses.set(x.status, (statuses.get(x.status) ?? 0) + 1);
      expect(index.countByStatus()).toEqual(statuses);
    }
  });
});
