interface Waiting<T> {
  item: T;
  /** start tag: the owner's place in virtual time */
  tag: number;
  /** arrival number, for ties between owners */
  seq: number;
}

interface Line<T> {
  /** oldest first; tags grow by one along the line */
  items: Array<Waiting<T>>;
  /** the tag the owner's next item gets, unless virtual time has passed it */
  next: number;
}

/**
 * A waiting line shared fairly between owners: start-time fair queueing
 * (Goyal, Vin and Cheng, SIGCOMM 1996) with every item costing one turn.
 * Each item gets a start tag, the later of the virtual time (the tag of the
 * item served last) and the tag after its owner's previous item; the item
 * with the smallest tag is served next, the earlier arrival on a tie. So an
 * owner's own items keep their order, owners with items waiting take turns,
 * and an owner who has had no turn lately goes before one who has just had
 * one, however many items that one has queued: a newcomer waits for at most
 * one item of each other owner.
 */
export class FairQueue<T> {
  /** owners with items waiting, or served so recently that their next tag is ahead of virtual time */
  private readonly lines = new Map<string, Line<T>>();
  private virtualTime = 0;
  private arrivals = 0;
  private count = 0;

  /** Items waiting, over every owner. */
  get size(): number {
    return this.count;
  }

  /** Items of `owner` waiting. */
  sizeOf(owner: string): number {
    return this.lines.get(owner)?.items.length ?? 0;
  }

  push(owner: string, item: T): void {
    const line = this.lines.get(owner) ?? { items: [], next: this.virtualTime };
    const tag = Math.max(this.virtualTime, line.next);
    line.items.push({ item, tag, seq: this.arrivals++ });
    line.next = tag + 1;
    this.lines.set(owner, line);
    this.count += 1;
  }

  /** The waiting item with the smallest start tag (the earliest arrival on a tie), taken out of the line. */
  shift(): T | undefined {
    let first: Line<T> | undefined;
    for (const line of this.lines.values()) {
      const head = line.items[0];
      const best = first?.items[0];
      if (head && (!best || head.tag < best.tag || (head.tag === best.tag && head.seq < best.seq))) first = line;
    }
    const served = first?.items.shift();
    if (!served) return undefined;
    this.count -= 1;
    this.virtualTime = served.tag;
    this.forgetIdle();
    return served.item;
  }

  /** Takes `item` out of `owner`'s line (it gave up waiting), as if it had never come; false when it is not there. */
  remove(owner: string, item: T): boolean {
    const line = this.lines.get(owner);
    const index = line?.items.findIndex((waiting) => waiting.item === item) ?? -1;
    if (!line || index < 0) return false;
    line.items.splice(index, 1);
    // the owner's later items move up into the turn it leaves
    for (const later of line.items.slice(index)) later.tag -= 1;
    line.next -= 1;
    this.count -= 1;
    this.forgetIdle();
    return true;
  }

  /** An owner with nothing waiting whose next tag virtual time has reached would start afresh anyway. */
  private forgetIdle(): void {
    for (const [owner, line] of this.lines) {
      if (line.items.length === 0 && line.next <= this.virtualTime) this.lines.delete(owner);
    }
  }
}
