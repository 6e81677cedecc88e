/** The typed arrays index columns are kept in. */
export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A copy of `column` with room for `capacity` entries (never less than it holds); the new part is zero. */
export function grown<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (length: number) => T)(Math.max(capacity, column.length));
  next.set(column);
  return next;
}

/** The next capacity for a column that must hold `needed` entries: doubling, so appends cost O(1) amortised. */
export function nextCapacity(current: number, needed: number): number {
  let capacity = Math.max(current, 16);
  while (capacity < needed) capacity *= 2;
  return capacity;
}
