import { seededRandom } from '@toa/fixtures/random';
import { describe, expect, it } from 'vitest';
import { SlotList } from './slot-list.js';

describe('SlotList', () => {
  it('lists newest first whatever order the slots came in, and keeps that order as they go', () => {
    const random = seededRandom(3);
    // slot i's "createdAt" is age[i]; ties broken by slot
    const age = Array.from({ length: 400 }, () => Math.floor(random() * 50));
    const older = (a: number, b: number) => (age[a] as number) < (age[b] as number) || (age[a] === age[b] && a < b);
    const list = new SlotList(older, (a, b) => (older(a, b) ? -1 : older(b, a) ? 1 : 0));
    const model: number[] = [];
    for (let step = 0; step < 3000; step += 1) {
      const slot = Math.floor(random() * 400);
      if (random() < 0.6 && !model.includes(slot)) {
        list.add(slot);
        model.push(slot);
      } else {
        expect(list.delete(slot)).toBe(model.includes(slot));
        if (model.includes(slot)) model.splice(model.indexOf(slot), 1);
      }
      if (step % 97 !== 0) continue;
      const newest = [...model].sort((a, b) => (older(a, b) ? 1 : -1));
      expect(list.size).toBe(model.length);
      expect(list.newest(0, 1000)).toEqual(newest);
      expect(list.newest(3, 5)).toEqual(newest.slice(3, 8));
    }
  });
});
