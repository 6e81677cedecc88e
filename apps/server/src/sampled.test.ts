import { describe, expect, it } from 'vitest';
import { Sampled } from './sampled.js';

describe('Sampled', () => {
  it('runs the check once for any number of callers while its result is fresh', async () => {
    let runs = 0;
    const sampled = new Sampled(async () => ++runs, 60_000);
    expect(await Promise.all([sampled.latest(), sampled.latest(), sampled.latest()])).toEqual([1, 1, 1]);
    expect(runs).toBe(1);
  });

  it('answers an old result at once and takes the next in the background, one run at a time', async () => {
    let runs = 0;
    let finish = (): void => {};
    const sampled = new Sampled(async () => {
      runs += 1;
      if (runs === 2) await new Promise<void>((resolve) => (finish = resolve));
      return runs;
    }, 0);
    expect(await sampled.latest()).toBe(1);
    // the result is stale (maxAge 0): the second run starts, the first result is still the answer
    expect(await sampled.latest()).toBe(1);
    expect(await sampled.latest()).toBe(1);
    expect(runs).toBe(2);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sampled.latest()).toBe(2);
  });

  it('hands the last result out without waiting: nothing before the first run ends, then the newest finished one', async () => {
    let runs = 0;
    let finish = (): void => {};
    const sampled = new Sampled(async () => {
      runs += 1;
      await new Promise<void>((resolve) => (finish = resolve));
      return runs;
    }, 0);
    expect(sampled.settled()).toBeUndefined();
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    // stale at once (maxAge 0): this call starts the second run and still hands out the first result
    expect(sampled.settled()).toBe(1);
    expect(runs).toBe(2);
    expect(sampled.settled()).toBe(1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sampled.settled()).toBe(2);
  });
});
