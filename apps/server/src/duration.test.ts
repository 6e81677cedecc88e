import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration.js';

describe('formatDuration', () => {
  it('says whole seconds in seconds', () => {
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(2000)).toBe('2 s');
  });

  it('says anything shorter or in between in milliseconds, never "0 s"', () => {
    expect(formatDuration(200)).toBe('200 ms');
    expect(formatDuration(1)).toBe('1 ms');
    expect(formatDuration(1500)).toBe('1500 ms');
  });
});
