import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';

function drain<T>(queue: FairQueue<T>): T[] {
  const served: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) served.push(item);
  return served;
}

describe('FairQueue', () => {
  it('serves the owners in turn, each owner its own items oldest first', () => {
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

  it('puts an owner arriving later behind one item of each owner waiting, not behind their backlog', () => {
    const queue = new FairQueue<string>();
    for (let i = 1; i <= 50; i += 1) queue.push('greedy', `g${i}`);
    expect(queue.shift()).toBe('g1');
    queue.push('honest', 'h1');
    // the greedy owner went to the back when it was served; the newcomer is next but one at most
    expect([queue.shift(), queue.shift()]).toEqual(['g2', 'h1']);
    expect(queue.sizeOf('honest')).toBe(0);
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
  });
});
