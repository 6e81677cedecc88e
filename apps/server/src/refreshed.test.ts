import { afterEach, describe, expect, it, vi } from 'vitest';
import { Refreshed } from './refreshed.js';

describe('Refreshed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the check once for every caller until the interval has passed, then answers with the new result', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const refreshed = new Refreshed(async () => {
      runs += 1;
      return runs;
    }, 1_000);
    expect(await Promise.all([refreshed.latest(), refreshed.latest()])).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(999);
    expect(await refreshed.latest()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await refreshed.latest()).toBe(2);
    expect(runs).toBe(2);
    refreshed.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(2);
  });

  it('drops a run that was still going when it was stopped, and starts afresh after', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let finishSecond = (): void => {};
    const refreshed = new Refreshed(async () => {
      runs += 1;
      const run = runs;
      if (run === 2) await new Promise<void>((resolve) => (finishSecond = resolve));
      return run;
    }, 1_000);
    expect(await refreshed.latest()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    refreshed.stop();
    finishSecond();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(2);
    expect(await refreshed.latest()).toBe(3);
  });
});
