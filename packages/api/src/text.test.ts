import { describe, expect, it } from 'vitest';
import { codePointLength, compilePattern, isBlank, truncateCodePoints } from './text.js';

describe('text rules', () => {
  it('counts and truncates code points without splitting surrogate pairs', () => {
    expect(codePointLength('a😀b')).toBe(3);
    expect(truncateCodePoints('a😀b', 2)).toBe('a😀');
    expect(truncateCodePoints('abc', 5)).toBe('abc');
  });

  it('refuses a pattern that does not compile', () => {
    expect(() => compilePattern('[a-')).toThrow(SyntaxError);
    // Unicode mode is stricter: the legacy syntax would take \q as a plain "q".
    expect(() => compilePattern('\\q')).toThrow(SyntaxError);
  });

  it('takes a string of white space only as blank', () => {
    for (const blank of ['', ' ', '\t\r\n', '\u00a0', '\u2003']) expect(isBlank(blank), JSON.stringify(blank)).toBe(true);
    for (const filled of ['0', ' x ', '-']) expect(isBlank(filled), filled).toBe(false);
  });
});
