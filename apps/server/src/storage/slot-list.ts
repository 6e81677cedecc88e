import { grown, nextCapacity } from './growable.js';

/**
 * The slots of one owner's imports in one packed Int32Array (4 bytes an
 * import), kept oldest first by `before` so that a new import, the usual
 * write, is an append and a listing, newest first, reads from the end.
 * Appends out of order (a build reads newest first) only mark the list
 * unsorted; the next read sorts it once.
 */
export class SlotList {
  readonly #before: (a: number, b: number) => boolean;
  readonly #compare: (a: number, b: number) => number;
  #slots = new Int32Array(4);
  #length = 0;
  #sorted = true;

  /** `before(a, b)`: slot a's import is older than b's (a strict, total order); `compare` is the same order as a sort comparator. Shared by all lists of an index, so a list costs no closures of its own. */
  constructor(before: (a: number, b: number) => boolean, compare: (a: number, b: number) => number) {
    this.#before = before;
    this.#compare = compare;
  }

  get size(): number {
    return this.#length;
  }

  add(slot: number): void {
    if (this.#length === this.#slots.length) this.#slots = grown(this.#slots, nextCapacity(this.#length, this.#length + 1));
    const last = this.#length === 0 ? -1 : (this.#slots[this.#length - 1] as number);
    if (last !== -1 && this.#before(slot, last)) this.#sorted = false;
    this.#slots[this.#length] = slot;
    this.#length += 1;
  }

  /** Takes `slot` out (before its columns change); false when absent. */
  delete(slot: number): boolean {
    const at = this.#sorted ? this.#position(slot) : this.#slots.subarray(0, this.#length).indexOf(slot);
    if (at < 0 || this.#slots[at] !== slot) return false;
    this.#slots.copyWithin(at, at + 1, this.#length);
    this.#length -= 1;
    if (this.#slots.length > 64 && this.#length * 4 < this.#slots.length) this.#slots = this.#slots.slice(0, this.#slots.length / 2);
    return true;
  }

  /** Up to `limit` slots from the `offset`-th newest, newest first. */
  newest(offset: number, limit: number): number[] {
    this.#sort();
    const out: number[] = [];
    for (let i = this.#length - 1 - offset; i >= 0 && out.length < limit; i -= 1) out.push(this.#slots[i] as number);
    return out;
  }

  #sort(): void {
    if (this.#sorted) return;
    this.#slots.subarray(0, this.#length).sort(this.#compare);
    this.#sorted = true;
  }

  /** Where `slot` is or would go in the sorted list. */
  #position(slot: number): number {
    let low = 0;
    let high = this.#length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#before(this.#slots[mid] as number, slot)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
