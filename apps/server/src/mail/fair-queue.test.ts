import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

function drain<T>(queue: FairQueue<T>): T[] {
  const served: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) served.push(item);
  return served;
}

describe('FairQueue', () => {
  it('lets owners with items waiting take turns, each owner its own items oldest first', () => {
    const queue = new FairQueue<string>();
    for (const item of ['a1', 'a2', 'a3', 'a4']) queue.push('a', item);
    queue.push('b', 'b1');
    queue.push('c', 'c1');
    queue.push('b', 'b2');
    expect(queue.size).toBe(7);
    expect([queue.sizeOf('a'), queue.sizeOf('b'), queue.sizeOf('c'), queue.sizeOf('d')]).toEqual([4, 2, 1, 0]);
    expect(drain(queue)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4']);
    expect(queue.size).toBe(0);
  });

  it('serves an owner arriving later before the backlog of an owner who has had a turn', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 50; i += 1) queue.push('greedy', `g${i}`);
    expect(queue.shift()).toBe('g1');
    queue.push('honest', 'h1');
    expect([queue.shift(), queue.shift()]).toEqual(['h1', 'g2']);
    expect(queue.sizeOf('honest')).toBe(0);
  });

  it('shares turns evenly with an owner who keeps coming back with one item at a time', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 6; i += 1) queue.push('greedy', `g${i}`);
    const served: Array<string | undefined> = [];
    for (let i = 1; i <= 3; i += 1) {
      queue.push('steady', `s${i}`);
      served.push(queue.shift(), queue.shift());
    }
    // each of the steady owner's items waits for one of the greedy owner's, and not more
    expect(served).toEqual(['g1', 's1', 'g2', 's2', 'g3', 's3']);
    expect(queue.size).toBe(3);
  });

  it('takes out an item that gives up waiting, and forgets an owner with nothing left', () => {
    const queue = new FairQueue<string>();
    queue.push('a', 'a1');
    queue.push('b', 'b1');
    queue.push('a', 'a2');
    expect(queue.remove('b', 'b1')).toBe(true);
    expect(queue.remove('b', 'b1')).toBe(false);
    expect(queue.remove('a', 'b1')).toBe(false);
    expect([queue.size, queue.sizeOf('b')]).toEqual([2, 0]);
    queue.push('b', 'b2');
    expect(drain(queue)).toEqual(['a1', 'b2', 'a2']);
    expect(queue.size).toBe(0);
  });
});
