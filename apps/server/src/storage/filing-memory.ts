import type { Attributes, Import } from '@toa/api/imports';
import { grown, nextCapacity } from './growable.js';
import { addressOf, mailDomainOf, subjectWords } from './message-keys.js';
import { hashText, SlotTable } from './slot-table.js';

/**
 * Where an import was filed: the template of its first document (the
 * message's) and the attribute values that are not the message's own. One
 * object is shared by every import filed alike, so a thousand imports of one
 * matter hold one copy of its values.
 */
export interface FilingTarget {
  readonly templateId: string;
  readonly attributes: Attributes;
}

/** The kinds of key a filing is found by; each is one source of suggestions. */
export const KEY_KINDS = ['conversation', 'sender', 'senderDomain', 'person', 'word'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];
const PREFIX: Record<KeyKind, string> = { conversation: 'c', sender: 's', senderDomain: 'd', person: 'p', word: 'w' };

/** What the filings under one key, or one kind of key, say: weight and count per target. */
export interface TargetVotes {
  weight: number;
  count: number;
  /** how many of `count` are the asker's own */
  own: number;
  /** the newest vote's createdAt, ms */
  lastAt: number;
  /** for `word`: the words that voted */
  words?: Set<string>;
}

export interface KindTally {
  kind: KeyKind;
  /** the filings looked at (the most recent ones of each key), each once */
  considered: number;
  /** their summed weight */
  weight: number;
  votes: Map<FilingTarget, TargetVotes>;
}

export interface FilingQuery {
  /** the asker; with `everyone`, the others' filings count too */
  owner: string;
  everyone: boolean;
  conversationId?: string | undefined;
  sender?: string | undefined;
  senderDomain?: string | undefined;
  people: readonly string[];
  words: readonly string[];
}

/** How many of the newest filings under one key are looked at, per kind: recent habits win over old ones. */
const RECENT: Record<KeyKind, number> = { conversation: 8, sender: 12, senderDomain: 24, person: 16, word: 16 };
/** The weight of the i-th newest filing under a key is DECAY^i. */
const DECAY = 0.85;
/** Weight of imagined filings elsewhere added to every word's: one filing's word is a third of a vote, ten's three quarters. */
const WORD_DOUBT = 2;
/**
 * How many of the newest filings under one key are looked through at most
 * for the asker's own: a key every user's filings share (a common word, a
 * client's mail domain) then costs the same in a store of any size. The
 * asker's filings under such a key that are older than this many others'
 * do not count.
 */
const LOOK_THROUGH = 4096;
/** A slot without a filing. */
const NONE = -1;
/** The seed of a key's second hash, independent of the first. */
const LOW_SEED = 0x6a09e667;

/**
 * What filing suggestions need of every import of a domain, in memory:
 * postings from each key (conversation, sender, sender's mail domain, every
 * address on the message, subject word) to the filings under it, and the
 * shared targets. Fed by the import index as import.json files are written
 * or read at start; nothing of it is written anywhere.
 *
 * Compact: a filing is a slot (the import index's) in typed-array columns —
 * owner, createdAt, target number, and where its key numbers lie in one
 * packed arena — and a posting is its one slot as a number, or an array of
 * slots (small integers, 8 bytes each) sized to fit. A key is known by a
 * 64-bit hash of its text, not the text (conversation ids alone run to a
 * hundred characters), in typed-array columns and a SlotTable; two keys
 * sharing a hash, a 1 in 2^64 chance a pair, would merely pool their votes.
 */
export class FilingMemory {
  #owner = new Int32Array(0);
  #at = new Float64Array(0);
  #target = new Int32Array(0);
  #keyStart = new Int32Array(0);
  #keyCount = new Uint16Array(0);
  /** every filing's key numbers, back to back; a forgotten filing's stay as garbage until the next compaction */
  #arena = new Int32Array(1024);
  #arenaUsed = 0;
  #arenaGarbage = 0;
  #count = 0;
  /** by key number: the two 32-bit hashes of its text; a key whose last filing goes is taken back */
  #keyHigh = new Uint32Array(0);
  #keyLow = new Uint32Array(0);
  /** by key number: 1 while its posting may be out of order (the next read sorts it) */
  #keyUnsorted = new Uint8Array(0);
  readonly #keyTable = new SlotTable((key) => this.#keyLow[key] as number);
  /** key number → its filings' slots, oldest first: one slot as a number, more as an array */
  readonly #postings: Array<number | number[] | undefined> = [];
  readonly #freeKeys: number[] = [];
  readonly #owners = new Map<string, number>();
  readonly #targets: Array<{ target: FilingTarget; key: string; refs: number } | undefined> = [];
  readonly #targetNumbers = new Map<string, number>();
  readonly #freeTargets: number[] = [];

  /** After every write of an import.json (and for each one read at start); `slot` is the import's in the index, its until forgotten. */
  record(slot: number, current: Import): void {
    this.forget(slot);
    const target = filingTargetOf(current);
    if (target === undefined) return;
    if (slot >= this.#target.length) this.#grow(nextCapacity(this.#target.length, slot + 1));
    const keys = [...new Set(keysOf(current).map((key) => this.#intern(key)))];
    const at = Date.parse(current.createdAt);
    this.#owner[slot] = this.#ownerNumber(current.userId);
    this.#at[slot] = at;
    this.#target[slot] = this.#share(target);
    this.#keyStart[slot] = this.#store(keys);
    this.#keyCount[slot] = keys.length;
    this.#count += 1;
    for (const key of keys) this.#post(key, slot);
  }

  forget(slot: number): void {
    if (slot >= this.#target.length || this.#target[slot] === NONE) return;
    const start = this.#keyStart[slot] as number;
    const count = this.#keyCount[slot] as number;
    for (let i = start; i < start + count; i += 1) {
      const key = this.#arena[i] as number;
      this.#unpost(key, slot);
    }
    this.#arenaGarbage += count;
    const number = this.#target[slot] as number;
    const shared = this.#targets[number] as { key: string; refs: number };
    if (--shared.refs === 0) {
      this.#targetNumbers.delete(shared.key);
      this.#targets[number] = undefined;
      this.#freeTargets.push(number);
    }
    this.#target[slot] = NONE;
    this.#count -= 1;
  }

  get size(): number {
    return this.#count;
  }

  /** What each kind of key of the query says, kind by kind; kinds with nothing to say are left out. */
  tally(query: FilingQuery): KindTally[] {
    const owner = this.#owners.get(query.owner);
    // without filings of their own and without sharing, the asker has nothing to learn from
    if (owner === undefined && !query.everyone) return [];
    const accept = (slot: number) => query.everyone || this.#owner[slot] === owner;
    const asked: Array<[KeyKind, readonly string[]]> = [
      ['conversation', query.conversationId === undefined ? [] : [query.conversationId]],
      ['sender', query.sender === undefined ? [] : [query.sender]],
      ['senderDomain', query.senderDomain === undefined ? [] : [query.senderDomain]],
      ['person', query.people],
      ['word', query.words],
    ];
    const tallies: KindTally[] = [];
    for (const [kind, values] of asked) {
      const tally: KindTally = { kind, considered: 0, weight: 0, votes: new Map() };
      const counted = new Set<number>();
      for (const value of values) {
        const key = this.#find(keyText(kind, value));
        if (key === -1) continue;
        if (kind === 'word') this.#voteByWord(tally, counted, key, accept, owner, value);
        else this.#vote(tally, counted, key, accept, owner);
      }
      if (tally.considered > 0) tallies.push(tally);
    }
    return tallies;
  }

  /**
   * A word says as much as it is rare (inverse document frequency) and as it
   * points to one target: "Henderson" filed under one matter, not "draft"
   * filed under all of them. A word seen once or twice proves little, so its
   * share is smoothed (WORD_DOUBT added to the whole). Its votes are those
   * shares, and a target keeps its best word's; the word tally's weight is
   * 1, so weak words stay weak.
   */
  #voteByWord(tally: KindTally, counted: Set<number>, key: number, accept: (slot: number) => boolean, owner: number | undefined, word: string): void {
    const filings = this.#sorted(key).length;
    const rarity = Math.log1p(this.#count / filings) / Math.log1p(this.#count);
    const own: KindTally = { kind: 'word', considered: 0, weight: 0, votes: new Map() };
    this.#vote(own, counted, key, accept, owner);
    tally.considered += own.considered;
    tally.weight = 1;
    for (const [target, votes] of own.votes) {
      const share = (votes.weight / (own.weight + WORD_DOUBT)) * rarity;
      const before = tally.votes.get(target);
      if (!before) tally.votes.set(target, { ...votes, weight: share, words: new Set([word]) });
      else {
        before.weight = Math.max(before.weight, share);
        before.count += votes.count;
        before.own += votes.own;
        before.lastAt = Math.max(before.lastAt, votes.lastAt);
        before.words?.add(word);
      }
    }
  }

  /** Adds the newest accepted filings under one key; a filing found under several keys of the kind is counted once, weighed each time. */
  #vote(tally: KindTally, counted: Set<number>, key: number, accept: (slot: number) => boolean, owner: number | undefined): void {
    const posting = this.#sorted(key);
    let weight = 1;
    let taken = 0;
    const oldest = Math.max(0, posting.length - LOOK_THROUGH);
    for (let i = posting.length - 1; i >= oldest && taken < RECENT[tally.kind]; i -= 1) {
      const slot = posting[i] as number;
      if (!accept(slot)) continue;
      taken += 1;
      const first = !counted.has(slot);
      counted.add(slot);
      if (first) tally.considered += 1;
      tally.weight += weight;
      const target = (this.#targets[this.#target[slot] as number] as { target: FilingTarget }).target;
      const at = this.#at[slot] as number;
      let votes = tally.votes.get(target);
      if (!votes) {
        votes = { weight: 0, count: 0, own: 0, lastAt: at };
        tally.votes.set(target, votes);
      }
      votes.weight += weight;
      if (first) votes.count += 1;
      if (first && this.#owner[slot] === owner) votes.own += 1;
      votes.lastAt = Math.max(votes.lastAt, at);
      weight *= DECAY;
    }
  }

  /** Adds a filing to a key's posting; one posted out of time order marks it unsorted. */
  #post(key: number, slot: number): void {
    const posting = this.#postings[key];
    if (posting === undefined) {
      this.#postings[key] = slot;
      return;
    }
    const last = typeof posting === 'number' ? posting : (posting[posting.length - 1] as number);
    if ((this.#at[last] as number) > (this.#at[slot] as number)) this.#keyUnsorted[key] = 1;
    if (typeof posting === 'number') this.#postings[key] = [posting, slot];
    // small postings, the most, are copied to their exact size (push would reserve 16 more entries); large ones grow in place
    else if (posting.length < 16) this.#postings[key] = posting.concat(slot);
    else posting.push(slot);
  }

  /** Takes a filing out of a key's posting; the key goes with its last filing. */
  #unpost(key: number, slot: number): void {
    const posting = this.#postings[key];
    if (typeof posting === 'number') {
      if (posting === slot) this.#release(key);
      return;
    }
    if (posting === undefined) return;
    const at = this.#keyUnsorted[key] === 1 ? posting.indexOf(slot) : this.#position(posting, slot);
    if (at >= 0) posting.splice(at, 1);
    if (posting.length === 1) {
      this.#postings[key] = posting[0] as number;
      this.#keyUnsorted[key] = 0;
    }
  }

  /** The key's posting, oldest first (by createdAt; the order of equal ones does not matter). */
  #sorted(key: number): readonly number[] {
    const posting = this.#postings[key] as number | number[];
    if (typeof posting === 'number') return [posting];
    if (this.#keyUnsorted[key] === 1) {
      posting.sort((a, b) => (this.#at[a] as number) - (this.#at[b] as number));
      this.#keyUnsorted[key] = 0;
    }
    return posting;
  }

  /** Where `slot` is in a sorted posting, or -1. */
  #position(posting: readonly number[], slot: number): number {
    const at = this.#at[slot] as number;
    let low = 0;
    let high = posting.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#at[posting[mid] as number] as number) < at) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < posting.length && this.#at[posting[i] as number] === at; i += 1) if (posting[i] === slot) return i;
    return -1;
  }

  /** The number of the key with text `text`, or -1. */
  #find(text: string): number {
    return this.#findHashed(hashText(text), hashText(text, LOW_SEED));
  }

  #findHashed(high: number, low: number): number {
    return this.#keyTable.find(low, (key) => this.#keyHigh[key] === high);
  }

  #intern(text: string): number {
    const high = hashText(text);
    const low = hashText(text, LOW_SEED);
    const found = this.#findHashed(high, low);
    if (found !== -1) return found;
    const key = this.#freeKeys.pop() ?? this.#postings.length;
    if (key >= this.#keyHigh.length) {
      const capacity = nextCapacity(this.#keyHigh.length, key + 1);
      this.#keyHigh = grown(this.#keyHigh, capacity);
      this.#keyLow = grown(this.#keyLow, capacity);
      this.#keyUnsorted = grown(this.#keyUnsorted, capacity);
    }
    this.#keyHigh[key] = high;
    this.#keyLow[key] = low;
    this.#keyUnsorted[key] = 0;
    this.#postings[key] = undefined;
    this.#keyTable.add(key);
    return key;
  }

  #release(key: number): void {
    this.#keyTable.delete(key);
    this.#postings[key] = undefined;
    this.#keyUnsorted[key] = 0;
    this.#freeKeys.push(key);
  }

  /** Appends a filing's key numbers to the arena, compacting it first when forgotten filings left more garbage than live keys; their start. */
  #store(keys: readonly number[]): number {
    if (this.#arenaUsed + keys.length > this.#arena.length) {
      if (this.#arenaGarbage * 2 > this.#arenaUsed) this.#compact();
      if (this.#arenaUsed + keys.length > this.#arena.length) this.#arena = grown(this.#arena, nextCapacity(this.#arena.length, this.#arenaUsed + keys.length));
    }
    const start = this.#arenaUsed;
    this.#arena.set(keys, start);
    this.#arenaUsed += keys.length;
    return start;
  }

  /** Moves every live filing's keys to the front of the arena, in slot order. */
  #compact(): void {
    const arena = new Int32Array(this.#arena.length);
    let used = 0;
    for (let slot = 0; slot < this.#target.length; slot += 1) {
      if (this.#target[slot] === NONE) continue;
      const start = this.#keyStart[slot] as number;
      const count = this.#keyCount[slot] as number;
      arena.set(this.#arena.subarray(start, start + count), used);
      this.#keyStart[slot] = used;
      used += count;
    }
    this.#arena = arena;
    this.#arenaUsed = used;
    this.#arenaGarbage = 0;
  }

  #grow(capacity: number): void {
    const from = this.#target.length;
    this.#owner = grown(this.#owner, capacity);
    this.#at = grown(this.#at, capacity);
    this.#target = grown(this.#target, capacity);
    this.#target.fill(NONE, from);
    this.#keyStart = grown(this.#keyStart, capacity);
    this.#keyCount = grown(this.#keyCount, capacity);
  }

  #ownerNumber(userId: string): number {
    let owner = this.#owners.get(userId);
    if (owner === undefined) {
      owner = this.#owners.size;
      this.#owners.set(userId, owner);
    }
    return owner;
  }

  #share(target: FilingTarget): number {
    const key = targetKey(target);
    let number = this.#targetNumbers.get(key);
    if (number !== undefined) {
      (this.#targets[number] as { refs: number }).refs += 1;
      return number;
    }
    number = this.#freeTargets.pop() ?? this.#targets.length;
    this.#targets[number] = { target, key, refs: 1 };
    this.#targetNumbers.set(key, number);
    return number;
  }
}

function keyText(kind: KeyKind, value: string): string {
  return `${PREFIX[kind]}:${value}`;
}

function targetKey(target: FilingTarget): string {
  return `${target.templateId}\u0000${JSON.stringify(Object.entries(target.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
}

/** The keys an import is found by. */
function keysOf(current: Import): string[] {
  const { source } = current;
  const keys: string[] = [];
  if (source.conversationId !== undefined) keys.push(keyText('conversation', source.conversationId));
  const sender = source.from === undefined ? undefined : addressOf(source.from);
  if (sender !== undefined) {
    keys.push(keyText('sender', sender), keyText('person', sender));
    const domain = mailDomainOf(sender);
    if (domain !== undefined) keys.push(keyText('senderDomain', domain));
  }
  for (const recipient of [...(source.to ?? []), ...(source.cc ?? [])]) {
    const address = addressOf(recipient);
    if (address !== undefined) keys.push(keyText('person', address));
  }
  for (const word of subjectWords(source.subject ?? '')) keys.push(keyText('word', word));
  return keys;
}

/**
 * The import's filing: its first document's template and the values that are
 * not the message's own. Values equal to the subject, the sender or the day
 * it was received are what a template's prefill put there; leaving them out
 * here lets imports of one matter share a target (the suggestion service
 * drops the template's prefilled attributes exactly). `undefined` until a
 * template is chosen.
 */
export function filingTargetOf(current: Import): FilingTarget | undefined {
  const document = current.documents[0];
  if (!document?.templateId) return undefined;
  const own = messageValues(current);
  const attributes: Attributes = {};
  for (const [id, value] of Object.entries(document.attributes)) {
    if (!own.has(normalise(value))) attributes[id] = value;
  }
  return { templateId: document.templateId, attributes };
}

function messageValues(current: Import): Set<string> {
  const { subject, from, receivedAt } = current.source;
  const values = new Set<string>();
  for (const text of [subject, from, from === undefined ? undefined : addressOf(from), from?.replace(/<[^>]*>/, '')]) {
    if (text !== undefined && text.trim() !== '') values.add(normalise(text));
  }
  // the calendar day in any zone is the UTC day or one either side
  for (const instant of [receivedAt, current.createdAt]) {
    const ms = instant === undefined ? Number.NaN : Date.parse(instant);
    if (Number.isNaN(ms)) continue;
    for (const shift of [-1, 0, 1]) values.add(new Date(ms + shift * 86_400_000).toISOString().slice(0, 10));
  }
  return values;
}

function normalise(value: Attributes[string] | string): string {
  return String(value).trim().toLowerCase();
}
