/**
 * A hash multiset of slot numbers (non-negative int32), for indexes kept in
 * typed-array columns: the table holds only the slots, 4 bytes a cell at a
 * load of at most one half, and asks `hashOf(slot)` for a slot's 32-bit
 * hash whenever it needs it (the hash is computed from the columns, not
 * stored). Open addressing with linear probing; a deletion shifts the
 * following cells back, so no tombstones build up as slots come and go.
 * Several slots may share a hash: callers check the columns of each match.
 */
export class SlotTable {
  static readonly #EMPTY = -1;
  readonly #hashOf: (slot: number) => number;
  #cells: Int32Array;
  #count = 0;

  constructor(hashOf: (slot: number) => number, capacity = 16) {
    this.#hashOf = hashOf;
    this.#cells = new Int32Array(Math.max(16, 2 ** Math.ceil(Math.log2(capacity * 2)))).fill(SlotTable.#EMPTY);
  }

  get size(): number {
    return this.#count;
  }

  /** Adds `slot`; its hash must stay what `hashOf` says until it is deleted. */
  add(slot: number): void {
    if ((this.#count + 1) * 2 > this.#cells.length) this.#rehash(this.#cells.length * 2);
    this.#place(this.#cells, slot);
    this.#count += 1;
  }

  /** Removes `slot` (while its hash is still what it was added with); false when absent. */
  delete(slot: number): boolean {
    const cells = this.#cells;
    const mask = cells.length - 1;
    let i = this.#hashOf(slot) & mask;
    while (cells[i] !== slot) {
      if (cells[i] === SlotTable.#EMPTY) return false;
      i = (i + 1) & mask;
    }
    // backward shift: pull later cells of the run into the hole unless they would move before their home
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const next = cells[j] as number;
      if (next === SlotTable.#EMPTY) break;
      const home = this.#hashOf(next) & mask;
      const staysPut = i <= j ? i < home && home <= j : i < home || home <= j;
      if (staysPut) continue;
      cells[i] = next;
      i = j;
    }
    cells[i] = SlotTable.#EMPTY;
    this.#count -= 1;
    if (this.#cells.length > 16 && this.#count * 8 < this.#cells.length) this.#rehash(this.#cells.length / 2);
    return true;
  }

  /** The first slot with hash `hash` that `accept` takes, or -1. */
  find(hash: number, accept: (slot: number) => boolean): number {
    const cells = this.#cells;
    const mask = cells.length - 1;
    const wanted = hash | 0;
    for (let i = wanted & mask; cells[i] !== SlotTable.#EMPTY; i = (i + 1) & mask) {
      const slot = cells[i] as number;
      if ((this.#hashOf(slot) | 0) === wanted && accept(slot)) return slot;
    }
    return -1;
  }

  /** Every slot with hash `hash` that `accept` takes, in no particular order. */
  all(hash: number, accept: (slot: number) => boolean): number[] {
    const found: number[] = [];
    const cells = this.#cells;
    const mask = cells.length - 1;
    const wanted = hash | 0;
    for (let i = wanted & mask; cells[i] !== SlotTable.#EMPTY; i = (i + 1) & mask) {
      const slot = cells[i] as number;
      if ((this.#hashOf(slot) | 0) === wanted && accept(slot)) found.push(slot);
    }
    return found;
  }

  #place(cells: Int32Array, slot: number): void {
    const mask = cells.length - 1;
    let i = this.#hashOf(slot) & mask;
    while (cells[i] !== SlotTable.#EMPTY) i = (i + 1) & mask;
    cells[i] = slot;
  }

  #rehash(capacity: number): void {
    const old = this.#cells;
    const cells = new Int32Array(capacity).fill(SlotTable.#EMPTY);
    for (const slot of old) if (slot !== SlotTable.#EMPTY) this.#place(cells, slot);
    this.#cells = cells;
  }
}

/** FNV-1a over the UTF-16 code units of `text`, then a finaliser (murmur3's) so the low bits spread well; `seed` picks an independent hash. */
export function hashText(text: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's 32-bit finaliser. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
