import { seededRandom } from '@toa/fixtures/random';
import { describe, expect, it } from 'vitest';
import { SlotTable } from './slot-table.js';

describe('SlotTable', () => {
  it('agrees with a plain set through random adds and deletes, with hashes that collide and runs that wrap around', () => {
    const random = seededRandom(7);
    // few distinct hashes, some near the table's end: long probe runs, shifted back on every delete
    const hashOf = (slot: number) => ((slot % 11) * 0x9e3779b1) >>> 0;
    const table = new SlotTable(hashOf);
    const model = new Set<number>();
    for (let step = 0; step < 5000; step += 1) {
      const slot = Math.floor(random() * 300);
      if (random() < 0.55 && !model.has(slot)) {
        table.add(slot);
        model.add(slot);
      } else {
        expect(table.delete(slot)).toBe(model.has(slot));
        model.delete(slot);
      }
      if (step % 100 !== 0) continue;
      expect(table.size).toBe(model.size);
      for (let hash = 0; hash < 11; hash += 1) {
        const wanted = [...model].filter((s) => s % 11 === hash).sort((a, b) => a - b);
        expect(table.all(hashOf(hash), () => true).sort((a, b) => a - b)).toEqual(wanted);
      }
      for (const probe of [0, 5, 299]) expect(table.find(hashOf(probe), (s) => s === probe)).toBe(model.has(probe) ? probe : -1);
    }
  });
});
