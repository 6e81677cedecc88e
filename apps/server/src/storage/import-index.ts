import type { Import, ImportStatus, ImportSummary } from '@toa/api/imports';
import { IMPORT_STATUSES } from '@toa/api/imports';
import { IMPORT_ID_PATTERN } from '@toa/api/ids';
import { FilingMemory } from './filing-memory.js';
import { grown, nextCapacity } from './growable.js';
import { SlotList } from './slot-list.js';
import { hashText, mix32, SlotTable } from './slot-table.js';

/** What a set of imports holds: their count and the bytes of their listed pages. */
export interface Usage {
  imports: number;
  bytes: number;
}

/** The sizes of an import's listed pages, every document's, summed: what a quota counts of it. */
export function pageBytes(current: Import): number {
  return current.documents.reduce((sum, d) => sum + d.pages.reduce((pages, p) => pages + p.size, 0), 0);
}

/** One line of a listing, as `GET /api/import/:domain` shows it. */
export function summarize(current: Import): ImportSummary {
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
  };
}

/** A page of a listing: `limit` entries from `offset`, and how many the whole listing holds. */
export interface ListingQuery {
  messageId?: string;
  offset: number;
  limit: number;
}

/** Reads an import's import.json for a listing; `undefined` when it is gone or unreadable (it is then left out). */
export type LoadImport = (id: string) => Promise<Import | undefined>;

export interface ImportIndexOptions {
  /** how many listing lines are kept ready in memory (the most recently written or listed); the rest are read on demand */
  summaries?: number;
}

const STATUS_CODE = new Map<ImportStatus, number>(IMPORT_STATUSES.map((status, code) => [status, code]));
/** An unused slot's owner. */
const FREE = -1;

/**
 * The listing of one domain, in memory: built once from the import.json files
 * (the source of truth), then kept current by the storage's own writes, so a
 * listing never reads every import.json again. A write that races the build
 * wins over what the build read (writes of one import are serialised by its
 * lock, so the last one recorded is the newest), and an import removed during
 * the build stays removed.
 *
 * Compact: each import is a slot in typed-array columns holding only what
 * ordering, duplicate lookup, quotas and status counts need — its id packed
 * in 10 bytes, createdAt as epoch ms, owner number, status, page bytes and a
 * 64-bit hash of its Internet Message-ID — about 80 bytes an import with the
 * hash tables and owner lists (docs/benchmarks.md measures it). What a
 * listing line shows besides (the `source`, which may hold a thousand
 * recipients, `updatedAt`, `error`...) is read from import.json when listed;
 * the lines of the most recently written or listed imports are kept ready
 * (`summaries`), so the pages users look at answer from memory.
 *
 * It also keeps what each owner and the whole domain hold (imports and page
 * bytes), adjusted by every entry set or removed, so a quota check never
 * reads the disk.
 */
export class ImportIndex {
  readonly #load: LoadImport;
  readonly #summaryLimit: number;
  // the columns, one entry per slot
  #date = new Int32Array(0); // yyyyMMdd of the id
  #minute = new Uint16Array(0); // HHmm of the id
  #random = new Uint32Array(0); // the id's 8 hex digits
  #at = new Float64Array(0); // createdAt, ms since the epoch
  #owner = new Int32Array(0); // owner number, FREE when unused
  #status = new Uint8Array(0);
  #bytes = new Float64Array(0);
  #message = new Uint32Array(0); // hash of owner + Message-ID; 0 with #hasMessage unset when none
  #messageCheck = new Uint32Array(0); // a second, independent hash of the Message-ID
  #hasMessage = new Uint8Array(0);
  #used = 0;
  readonly #freeSlots: number[] = [];
  readonly #ids = new SlotTable((slot) => this.#idHash(slot));
  readonly #messages = new SlotTable((slot) => this.#message[slot] as number);
  readonly #ownerNumbers = new Map<string, number>();
  readonly #owners: Array<{ userId: string; usage: Usage; list: SlotList } | undefined> = [];
  readonly #freeOwners: number[] = [];
  readonly #statusCounts = IMPORT_STATUSES.map(() => 0);
  readonly #domain: Usage = { imports: 0, bytes: 0 };
  /** listing lines ready in memory, by slot, least recently used first */
  readonly #summaries = new Map<number, ReadyLine>();
  /** the order of every owner's list, one pair of functions for all */
  readonly #older = (a: number, b: number): boolean => this.#before(a, b);
  readonly #oldestFirst = (a: number, b: number): number => (this.#before(a, b) ? -1 : this.#before(b, a) ? 1 : 0);
  /** counts records and removals, so a line read from disk meanwhile is not kept as current */
  #changes = 0;
  /** what filing suggestions learn from, kept beside the listing (by the same slots) */
  readonly filings = new FilingMemory();
  #build: Promise<void> | undefined;
  /** ids removed while the build runs, which the build must not bring back */
  #removedDuringBuild: Set<string> | undefined;

  constructor(load: LoadImport, options: ImportIndexOptions = {}) {
    this.#load = load;
    this.#summaryLimit = options.summaries ?? 1024;
  }

  /** Builds the index on first use; `scan` yields every readable import of the domain. */
  ready(scan: () => AsyncIterable<Import>): Promise<void> {
    this.#build ??= (async () => {
      this.#removedDuringBuild = new Set();
      try {
        for await (const current of scan()) {
          if (this.#removedDuringBuild.has(current.id) || this.#slotOf(current.id) !== -1) continue;
          this.#set(current);
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

  /** How many imports the index holds. */
  get size(): number {
    return this.#domain.imports;
  }

  /** After every write of an import.json: its listing line is kept ready. */
  record(current: Import): void {
    const slot = this.#set(current);
    this.#remember(slot, { summary: summarize(current) });
  }

  /** After an import folder is removed. */
  forget(id: string): void {
    this.#removedDuringBuild?.add(id);
    const slot = this.#slotOf(id);
    if (slot === -1) return;
    this.#changes += 1;
    this.#unlist(slot);
    this.filings.forget(slot);
    this.#summaries.delete(slot);
    this.#ids.delete(slot);
    this.#owner[slot] = FREE;
    this.#freeSlots.push(slot);
  }

  /** How many imports of each status the index holds now (statuses with none are absent); everything still being built is not counted yet. */
  countByStatus(): Map<ImportStatus, number> {
    const counts = new Map<ImportStatus, number>();
    IMPORT_STATUSES.forEach((status, code) => {
      const count = this.#statusCounts[code] as number;
      if (count > 0) counts.set(status, count);
    });
    return counts;
  }

  /** What `userId` holds in the domain, and what the domain holds in all (copies); complete once `ready` has resolved. */
  usage(userId: string): { user: Usage; domain: Usage } {
    const owner = this.#ownerNumbers.get(userId);
    const user = owner === undefined ? undefined : this.#owners[owner]?.usage;
    return { user: user ? { ...user } : { imports: 0, bytes: 0 }, domain: { ...this.#domain } };
  }

  /**
   * A page of the owner's imports (of one message, when given), newest first,
   * and how many there are in all, each line as its JSON text (an
   * `ImportSummary`), made once while the line stays in memory: a listing's
   * body is put together from them instead of serialising every line on
   * every request. The page is a slice of a list kept sorted, so its cost
   * grows with `limit` alone; each line not ready in memory is one
   * import.json read. A line whose file is gone or unreadable is left out.
   */
  async owned(userId: string, query: ListingQuery): Promise<{ items: string[]; total: number }> {
    const { lines, total } = await this.#page(userId, query);
    return { items: lines.map(jsonOf), total };
  }

  async #page(userId: string, query: ListingQuery): Promise<{ lines: ReadyLine[]; total: number }> {
    const owner = this.#ownerNumbers.get(userId);
    const list = owner === undefined ? undefined : this.#owners[owner]?.list;
    if (owner === undefined || !list) return { lines: [], total: 0 };
    let slots: number[];
    let total: number;
    if (query.messageId === undefined) {
      slots = list.newest(query.offset, query.limit);
      total = list.size;
    } else {
      const all = this.#ofMessage(owner, query.messageId).sort((a, b) => (this.#before(a, b) ? 1 : -1));
      slots = all.slice(query.offset, query.offset + query.limit);
      total = all.length;
    }
    const lines = await Promise.all(slots.map((slot) => this.#summary(slot)));
    return { lines: lines.filter((line): line is ReadyLine => line !== undefined), total };
  }

  /** Sets the columns of `current`'s import (a new slot, or the one it has) and lists it; its slot. */
  #set(current: Import): number {
    this.#changes += 1;
    let slot = this.#slotOf(current.id);
    if (slot !== -1) this.#unlist(slot);
    else slot = this.#allocate(current.id);
    const owner = this.#ownerNumber(current.userId);
    const messageId = current.source.internetMessageId;
    this.#owner[slot] = owner;
    this.#at[slot] = Date.parse(current.createdAt);
    this.#status[slot] = STATUS_CODE.get(current.status) as number;
    this.#bytes[slot] = pageBytes(current);
    this.#hasMessage[slot] = messageId === undefined ? 0 : 1;
    this.#message[slot] = messageId === undefined ? 0 : messageHash(owner, messageId);
    this.#messageCheck[slot] = messageId === undefined ? 0 : hashText(messageId, 0x2545f491);
    this.#list(slot);
    this.filings.record(slot, current);
    return slot;
  }

  /** Adds the slot (its columns set) to its owner's list, the message table, the usage and the status counts. */
  #list(slot: number): void {
    const owner = this.#owners[this.#owner[slot] as number] as { usage: Usage; list: SlotList };
    const bytes = this.#bytes[slot] as number;
    owner.list.add(slot);
    owner.usage.imports += 1;
    owner.usage.bytes += bytes;
    this.#domain.imports += 1;
    this.#domain.bytes += bytes;
    (this.#statusCounts[this.#status[slot] as number] as number) += 1;
    if (this.#hasMessage[slot] === 1) this.#messages.add(slot);
  }

  /** The opposite of #list, before the columns change. */
  #unlist(slot: number): void {
    const number = this.#owner[slot] as number;
    const owner = this.#owners[number] as { userId: string; usage: Usage; list: SlotList };
    const bytes = this.#bytes[slot] as number;
    owner.list.delete(slot);
    owner.usage.imports -= 1;
    owner.usage.bytes -= bytes;
    this.#domain.imports -= 1;
    this.#domain.bytes -= bytes;
    (this.#statusCounts[this.#status[slot] as number] as number) -= 1;
    if (this.#hasMessage[slot] === 1) this.#messages.delete(slot);
    if (owner.usage.imports === 0) {
      this.#ownerNumbers.delete(owner.userId);
      this.#owners[number] = undefined;
      this.#freeOwners.push(number);
    }
  }

  #ownerNumber(userId: string): number {
    let number = this.#ownerNumbers.get(userId);
    if (number === undefined) {
      number = this.#freeOwners.pop() ?? this.#owners.length;
      this.#ownerNumbers.set(userId, number);
      this.#owners[number] = { userId, usage: { imports: 0, bytes: 0 }, list: new SlotList(this.#older, this.#oldestFirst) };
    }
    return number;
  }

  /** A slot for a new id, its id columns set and listed in the id table. */
  #allocate(id: string): number {
    const { date, minute, random } = parseId(id);
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#used;
      this.#used += 1;
      if (slot >= this.#owner.length) this.#grow(nextCapacity(this.#owner.length, slot + 1));
    }
    this.#date[slot] = date;
    this.#minute[slot] = minute;
    this.#random[slot] = random;
    this.#ids.add(slot);
    return slot;
  }

  #grow(capacity: number): void {
    this.#date = grown(this.#date, capacity);
    this.#minute = grown(this.#minute, capacity);
    this.#random = grown(this.#random, capacity);
    this.#at = grown(this.#at, capacity);
    this.#owner = grown(this.#owner, capacity);
    this.#status = grown(this.#status, capacity);
    this.#bytes = grown(this.#bytes, capacity);
    this.#message = grown(this.#message, capacity);
    this.#messageCheck = grown(this.#messageCheck, capacity);
    this.#hasMessage = grown(this.#hasMessage, capacity);
  }

  /** The slot of a listed id, or -1. */
  #slotOf(id: string): number {
    if (!IMPORT_ID_PATTERN.test(id)) return -1;
    const { date, minute, random } = parseId(id);
    return this.#ids.find(idHash(date, minute, random), (slot) => this.#date[slot] === date && this.#minute[slot] === minute && this.#random[slot] === random);
  }

  #idHash(slot: number): number {
    return idHash(this.#date[slot] as number, this.#minute[slot] as number, this.#random[slot] as number);
  }

  #idOf(slot: number): string {
    const date = String(this.#date[slot]).padStart(8, '0');
    const minute = String(this.#minute[slot]).padStart(4, '0');
    return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}_${minute}-${(this.#random[slot] as number).toString(16).padStart(8, '0')}`;
  }

  /** Slot a's import is older than b's: by createdAt, then by id (its parts compare as the text does). */
  #before(a: number, b: number): boolean {
    const atA = this.#at[a] as number;
    const atB = this.#at[b] as number;
    if (atA !== atB) return atA < atB;
    if (this.#date[a] !== this.#date[b]) return (this.#date[a] as number) < (this.#date[b] as number);
    if (this.#minute[a] !== this.#minute[b]) return (this.#minute[a] as number) < (this.#minute[b] as number);
    return (this.#random[a] as number) < (this.#random[b] as number);
  }

  /** The owner's slots whose Message-ID hashes match `messageId`'s (both 32-bit hashes: a false match is a 1 in 2^64 chance). */
  #ofMessage(owner: number, messageId: string): number[] {
    const check = hashText(messageId, 0x2545f491);
    return this.#messages.all(messageHash(owner, messageId), (slot) => this.#owner[slot] === owner && this.#messageCheck[slot] === check);
  }

  /** The listing line of a slot: ready in memory, or read from its import.json (and then kept ready). */
  async #summary(slot: number): Promise<ReadyLine | undefined> {
    const ready = this.#summaries.get(slot);
    if (ready) {
      // most recently used last
      this.#summaries.delete(slot);
      this.#summaries.set(slot, ready);
      return ready;
    }
    const id = this.#idOf(slot);
    const changes = this.#changes;
    const current = await this.#load(id);
    if (current === undefined) return undefined;
    const line: ReadyLine = { summary: summarize(current) };
    // a write or removal meanwhile may have made what was read stale, or given the slot to another import
    if (changes === this.#changes) this.#remember(slot, line);
    return line;
  }

  #remember(slot: number, line: ReadyLine): void {
    this.#summaries.delete(slot);
    this.#summaries.set(slot, line);
    if (this.#summaries.size > this.#summaryLimit) {
      const oldest = this.#summaries.keys().next().value as number;
      this.#summaries.delete(oldest);
    }
  }
}

/** A listing line kept in memory, with its JSON text once a listing has asked for it. */
interface ReadyLine {
  readonly summary: ImportSummary;
  json?: string;
}

function jsonOf(line: ReadyLine): string {
  line.json ??= JSON.stringify(line.summary);
  return line.json;
}

function parseId(id: string): { date: number; minute: number; random: number } {
  if (!IMPORT_ID_PATTERN.test(id)) throw new Error(`not an import id: ${id}`);
  return {
    date: Number(id.slice(0, 4) + id.slice(5, 7) + id.slice(8, 10)),
    minute: Number(id.slice(11, 15)),
    random: Number.parseInt(id.slice(16, 24), 16),
  };
}

function idHash(date: number, minute: number, random: number): number {
  return mix32(random ^ Math.imul(date, 0x9e3779b1) ^ Math.imul(minute, 0x85ebca77));
}

function messageHash(owner: number, messageId: string): number {
  return hashText(messageId, Math.imul(owner + 1, 0x9e3779b1) ^ 0x811c9dc5);
}
