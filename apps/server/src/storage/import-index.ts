import type { Import, ImportStatus, ImportSummary } from '@toa/api/imports';
import { FilingMemory } from './filing-memory.js';

/** What a listing shows of an import, plus the owner key it is filtered by and the bytes it holds. */
export interface IndexedImport extends ImportSummary {
  userId: string;
  /** the sizes of its listed pages, every document's (extracted ones included), summed */
  bytes: number;
}

/** What a set of imports holds: their count and the bytes of their listed pages. */
export interface Usage {
  imports: number;
  bytes: number;
}

/** The sizes of an import's listed pages, every document's, summed: what a quota counts of it. */
export function pageBytes(current: Import): number {
  return current.documents.reduce((sum, d) => sum + d.pages.reduce((pages, p) => pages + p.size, 0), 0);
}

export function summarize(current: Import): IndexedImport {
  return {
    id: current.id,
    domain: current.domain,
    status: current.status,
    createdAt: current.createdAt,
    updatedAt: current.updatedAt,
    source: current.source,
    ...(current.error === undefined ? {} : { error: current.error }),
    ...(current.damisBatchId === undefined ? {} : { damisBatchId: current.damisBatchId }),
    documentCount: current.documents.length,
    pageCount: current.documents.reduce((sum, d) => sum + d.pages.length, 0),
    userId: current.userId,
    bytes: pageBytes(current),
  };
}

/** A page of a listing: `limit` entries from `offset`, and how many the whole listing holds. */
export interface ListingQuery {
  messageId?: string;
  offset: number;
  limit: number;
}

/**
 * Entries kept newest first — by `createdAt` as epoch milliseconds (parsed
 * once, on insert: the stored offsets vary with the zone and daylight saving,
 * so the ISO strings do not sort as text), then by id, descending — so a
 * listing is a slice, never a sort. Insert and remove find their place by
 * binary search.
 */
class NewestFirst {
  readonly #at: number[] = [];
  readonly #entries: IndexedImport[] = [];

  get size(): number {
    return this.#entries.length;
  }

  insert(entry: IndexedImport, at: number): void {
    const i = this.#place(entry.id, at);
    this.#entries.splice(i, 0, entry);
    this.#at.splice(i, 0, at);
  }

  /** Removes the entry `id` inserted with `at`; absent, nothing changes. */
  remove(id: string, at: number): void {
    const i = this.#place(id, at);
    if (this.#entries[i]?.id !== id) return;
    this.#entries.splice(i, 1);
    this.#at.splice(i, 1);
  }

  slice(offset: number, limit: number): IndexedImport[] {
    return this.#entries.slice(offset, offset + limit);
  }

  /** The first position whose entry does not come before (`at`, `id`). */
  #place(id: string, at: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midAt = this.#at[mid] as number;
      const before = midAt > at || (midAt === at && (this.#entries[mid] as IndexedImport).id > id);
      if (before) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/**
 * The listing of one domain, in memory: built once from the import.json files
 * (the source of truth), then kept current by the storage's own writes, so a
 * listing never reads every import.json again. A write that races the build
 * wins over what the build read (writes of one import are serialised by its
 * lock, so the last one recorded is the newest), and an import removed during
 * the build stays removed.
 *
 * It also keeps what each owner and the whole domain hold (imports and page
 * bytes), adjusted by every entry set or removed, so a quota check never
 * reads the disk.
 */
export class ImportIndex {
  readonly #entries = new Map<string, IndexedImport>();
  readonly #owners = new Map<string, Usage>();
  /** per owner: all their entries, and their entries of each message, newest first */
  readonly #lists = new Map<string, { all: NewestFirst; byMessage: Map<string, NewestFirst> }>();
  readonly #domain: Usage = { imports: 0, bytes: 0 };
  /** what filing suggestions learn from, kept beside the listing */
  readonly filings = new FilingMemory();
  #build: Promise<void> | undefined;
  /** ids removed while the build runs, which the build must not bring back */
  #removedDuringBuild: Set<string> | undefined;

  /** Builds the index on first use; `scan` yields every readable import of the domain. */
  ready(scan: () => AsyncIterable<Import>): Promise<void> {
    this.#build ??= (async () => {
      this.#removedDuringBuild = new Set();
      try {
        for await (const current of scan()) {
          if (this.#removedDuringBuild.has(current.id) || this.#entries.has(current.id)) continue;
          this.record(current);
        }
      } finally {
        this.#removedDuringBuild = undefined;
      }
    })().catch((error: unknown) => {
      this.#build = undefined; // the next listing tries again
      throw error;
    });
    return this.#build;
  }

  /** After every write of an import.json. */
  record(current: Import): void {
    this.#set(summarize(current));
    this.filings.record(current);
  }

  /** After an import folder is removed. */
  forget(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) {
      this.#entries.delete(id);
      this.#count(entry, -1);
    }
    this.filings.forget(id);
    this.#removedDuringBuild?.add(id);
  }

  /** How many imports of each status the index holds now (statuses with none are absent); everything still being built is not counted yet. */
  countByStatus(): Map<ImportStatus, number> {
    const counts = new Map<ImportStatus, number>();
    for (const { status } of this.#entries.values()) counts.set(status, (counts.get(status) ?? 0) + 1);
    return counts;
  }

  /** What `userId` holds in the domain, and what the domain holds in all (copies); complete once `ready` has resolved. */
  usage(userId: string): { user: Usage; domain: Usage } {
    const user = this.#owners.get(userId);
    return { user: user ? { ...user } : { imports: 0, bytes: 0 }, domain: { ...this.#domain } };
  }

  #set(entry: IndexedImport): void {
    const previous = this.#entries.get(entry.id);
    if (previous) this.#count(previous, -1);
    this.#entries.set(entry.id, entry);
    this.#count(entry, 1);
  }

  /** Adds (`sign` 1) or takes away (-1) an entry from its owner's listings. */
  #list(entry: IndexedImport, sign: 1 | -1): void {
    const at = Date.parse(entry.createdAt);
    const messageId = entry.source.internetMessageId;
    const owner = this.#lists.get(entry.userId) ?? { all: new NewestFirst(), byMessage: new Map<string, NewestFirst>() };
    if (sign === 1) {
      this.#lists.set(entry.userId, owner);
      owner.all.insert(entry, at);
      if (messageId === undefined) return;
      const ofMessage = owner.byMessage.get(messageId) ?? new NewestFirst();
      owner.byMessage.set(messageId, ofMessage);
      ofMessage.insert(entry, at);
      return;
    }
    owner.all.remove(entry.id, at);
    if (owner.all.size === 0) this.#lists.delete(entry.userId);
    const ofMessage = messageId === undefined ? undefined : owner.byMessage.get(messageId);
    if (messageId === undefined || !ofMessage) return;
    ofMessage.remove(entry.id, at);
    if (ofMessage.size === 0) owner.byMessage.delete(messageId);
  }

  /** Adds (`sign` 1) or takes away (-1) an entry from its owner's and the domain's usage. */
  #count(entry: IndexedImport, sign: 1 | -1): void {
    this.#list(entry, sign);
    const owner = this.#owners.get(entry.userId) ?? { imports: 0, bytes: 0 };
    owner.imports += sign;
    owner.bytes += sign * entry.bytes;
    if (owner.imports > 0) this.#owners.set(entry.userId, owner);
    else this.#owners.delete(entry.userId);
    this.#domain.imports += sign;
    this.#domain.bytes += sign * entry.bytes;
  }

  /**
   * A page of the owner's imports (of one message, when given), newest first,
   * and how many there are in all: a slice of a list kept sorted, so its cost
   * grows with `limit` alone, not with the owner's imports or the domain's.
   */
  owned(userId: string, query: ListingQuery): { items: IndexedImport[]; total: number } {
    const owner = this.#lists.get(userId);
    const list = query.messageId === undefined ? owner?.all : owner?.byMessage.get(query.messageId);
    return { items: list ? list.slice(query.offset, query.limit) : [], total: list?.size ?? 0 };
  }
}
