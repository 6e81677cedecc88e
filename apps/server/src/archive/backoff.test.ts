import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, backoffDelay, MAX_RETRY_DELAY_MS, retryAfterDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('stays between half and all of the doubled, capped ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, random) => {
        const ceiling = Math.min(MAX_RETRY_DELAY_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
        const delay = backoffDelay(retry, () => random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('grows with each retry until the cap', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4].map((retry) => backoffDelay(retry, middle))).toEqual([375, 750, 1500, 3000]);
    expect(backoffDelay(30, middle)).toBe(Math.round(MAX_RETRY_DELAY_MS * 0.75));
  });
});

describe('retryAfterDelay', () => {
  const now = Date.parse('2026-11-21T09:00:00Z');

  // the header's forms are read by @toa/api/retry-after (its own tests); here the archive's cap
  it('reads the pause the archive asks for, capped', () => {
    expect(retryAfterDelay('3', now)).toBe(3_000);
    expect(retryAfterDelay('Sat, 21 Nov 2026 09:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterDelay('86400', now)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryAfterDelay('soon', now)).toBeUndefined();
    expect(retryAfterDelay(null, now)).toBeUndefined();
  });
});
