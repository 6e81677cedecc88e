/**
 * A waiting line kept per owner and served round-robin: each owner with
 * items waiting gets one turn per round, in the order the owners arrived,
 * and an owner's own items keep their order. An item arriving for an owner
 * with nothing waiting is served after one item of each owner already
 * waiting, however many items those owners have queued.
 */
export class FairQueue<T> {
  /** owner → its items, oldest first; the Map's order is the rotation (the first owner is served next) */
  private readonly lines = new Map<string, T[]>();
  private count = 0;

  /** Items waiting, over every owner. */
  get size(): number {
    return this.count;
  }

  /** Items of `owner` waiting. */
  sizeOf(owner: string): number {
    return this.lines.get(owner)?.length ?? 0;
  }

  push(owner: string, item: T): void {
    const line = this.lines.get(owner);
    if (line) line.push(item);
    else this.lines.set(owner, [item]);
    this.count += 1;
  }

  /** The oldest item of the owner whose turn it is; that owner then goes to the back of the rotation. */
  shift(): T | undefined {
    const next = this.lines.entries().next();
    if (next.done) return undefined;
    const [owner, line] = next.value;
    const item = line.shift() as T; // lines are never left empty
    this.lines.delete(owner);
    if (line.length > 0) this.lines.set(owner, line);
    this.count -= 1;
    return item;
  }

  /** Takes `item` out of `owner`'s line (it gave up waiting); false when it is not there. */
  remove(owner: string, item: T): boolean {
    const line = this.lines.get(owner);
    const index = line?.indexOf(item) ?? -1;
    if (!line || index < 0) return false;
    line.splice(index, 1);
    if (line.length === 0) this.lines.delete(owner);
    this.count -= 1;
    return true;
  }
}
