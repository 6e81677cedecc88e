import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './retry-after.js';

describe('retryAfterMs (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-11-21T09:00:00Z');

  it('reads delay-seconds and the three HTTP-date forms', () => {
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('86400', now)).toBe(86_400_000);
    // IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept (RFC 9110 §5.6.7)
    expect(retryAfterMs('Sat, 21 Nov 2026 09:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Saturday, 21-Nov-26 09:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Sat Nov 21 09:00:10 2026', now)).toBe(10_000);
  });

  it('answers 0 for a date already past and nothing for an absent or unreadable header', () => {
    expect(retryAfterMs('Sat, 21 Nov 2026 08:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('1.5', now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
