import type { Attributes, Import } from '@toa/api/imports';
import { addressOf, mailDomainOf, subjectWords } from './message-keys.js';

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

/** One import as suggestions see it: ~100 bytes plus its share of the postings. */
interface Filing {
  readonly owner: number;
  /** createdAt, ms since the epoch */
  readonly at: number;
  readonly target: FilingTarget;
  /** the interned keys it is posted under, to take it out again */
  readonly keys: Int32Array;
}

interface Posting {
  filings: Filing[];
  /** oldest first while true; an out-of-order insert (the first build) clears it, the next read sorts */
  sorted: boolean;
}

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
 * What filing suggestions need of every import of a domain, in memory:
 * postings from each key (conversation, sender, sender's mail domain, every
 * address on the message, subject word) to the filings under it, and the
 * shared targets. Fed by the import index as import.json files are written
 * or read at start; nothing of it is written anywhere.
 */
export class FilingMemory {
  readonly #filings = new Map<string, Filing>();
  readonly #postings = new Map<number, Posting>();
  /** key text → number; keys are never taken back (a word or address costs a few dozen bytes once) */
  readonly #keys = new Map<string, number>();
  readonly #keyTexts: string[] = [];
  readonly #owners = new Map<string, number>();
  readonly #targets = new Map<string, { target: FilingTarget; refs: number }>();

  /** After every write of an import.json (and for each one read at start). */
  record(current: Import): void {
    this.forget(current.id);
    const target = filingTargetOf(current);
    if (target === undefined) return;
    const keys = [...new Set(keysOf(current).map((key) => this.#intern(key)))];
    const filing: Filing = {
      owner: this.#owner(current.userId),
      at: Date.parse(current.createdAt),
      target: this.#share(target),
      keys: Int32Array.from(keys),
    };
    this.#filings.set(current.id, filing);
    for (const key of keys) {
      let posting = this.#postings.get(key);
      if (!posting) {
        posting = { filings: [], sorted: true };
        this.#postings.set(key, posting);
      }
      const last = posting.filings.at(-1);
      if (last !== undefined && last.at > filing.at) posting.sorted = false;
      posting.filings.push(filing);
    }
  }

  forget(id: string): void {
    const filing = this.#filings.get(id);
    if (!filing) return;
    this.#filings.delete(id);
    for (const key of filing.keys) {
      const posting = this.#postings.get(key);
      if (!posting) continue;
      const at = posting.filings.indexOf(filing);
      if (at >= 0) posting.filings.splice(at, 1);
      if (posting.filings.length === 0) this.#postings.delete(key);
    }
    const shared = this.#targets.get(targetKey(filing.target));
    if (shared && --shared.refs === 0) this.#targets.delete(targetKey(filing.target));
  }

  get size(): number {
    return this.#filings.size;
  }

  /** What each kind of key of the query says, kind by kind; kinds with nothing to say are left out. */
  tally(query: FilingQuery): KindTally[] {
    const owner = this.#owners.get(query.owner);
    // without filings of their own and without sharing, the asker has nothing to learn from
    if (owner === undefined && !query.everyone) return [];
    const accept = (filing: Filing) => query.everyone || filing.owner === owner;
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
      const counted = new Set<Filing>();
      for (const value of values) {
        const key = this.#keys.get(keyText(kind, value));
        const posting = key === undefined ? undefined : this.#postings.get(key);
        if (!posting) continue;
        if (kind === 'word') this.#voteByWord(tally, counted, posting, accept, owner, value);
        else this.#vote(tally, counted, posting, accept, owner);
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
  #voteByWord(tally: KindTally, counted: Set<Filing>, posting: Posting, accept: (filing: Filing) => boolean, owner: number | undefined, word: string): void {
    const rarity = Math.log1p(this.#filings.size / posting.filings.length) / Math.log1p(this.#filings.size);
    const own: KindTally = { kind: 'word', considered: 0, weight: 0, votes: new Map() };
    this.#vote(own, counted, posting, accept, owner);
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

  /** Adds the newest accepted filings of one posting; a filing found under several keys of the kind is counted once, weighed each time. */
  #vote(tally: KindTally, counted: Set<Filing>, posting: Posting, accept: (filing: Filing) => boolean, owner: number | undefined): void {
    if (!posting.sorted) {
      posting.filings.sort((a, b) => a.at - b.at);
      posting.sorted = true;
    }
    let weight = 1;
    let taken = 0;
    for (let i = posting.filings.length - 1; i >= 0 && taken < RECENT[tally.kind]; i -= 1) {
      const filing = posting.filings[i] as Filing;
      if (!accept(filing)) continue;
      taken += 1;
      const first = !counted.has(filing);
      counted.add(filing);
      if (first) tally.considered += 1;
      tally.weight += weight;
      let votes = tally.votes.get(filing.target);
      if (!votes) {
        votes = { weight: 0, count: 0, own: 0, lastAt: filing.at };
        tally.votes.set(filing.target, votes);
      }
      votes.weight += weight;
      if (first) votes.count += 1;
      if (first && filing.owner === owner) votes.own += 1;
      votes.lastAt = Math.max(votes.lastAt, filing.at);
      weight *= DECAY;
    }
  }

  #intern(text: string): number {
    let key = this.#keys.get(text);
    if (key === undefined) {
      key = this.#keyTexts.length;
      this.#keyTexts.push(text);
      this.#keys.set(text, key);
    }
    return key;
  }

  #owner(userId: string): number {
    let owner = this.#owners.get(userId);
    if (owner === undefined) {
      owner = this.#owners.size;
      this.#owners.set(userId, owner);
    }
    return owner;
  }

  #share(target: FilingTarget): FilingTarget {
    const key = targetKey(target);
    const shared = this.#targets.get(key);
    if (shared) {
      shared.refs += 1;
      return shared.target;
    }
    this.#targets.set(key, { target, refs: 1 });
    return target;
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
