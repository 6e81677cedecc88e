/** String rules shared by the attribute types: lengths as people count them, and catalogue patterns as applied. */

/** Length as people count it (a Unicode code point is one character, even outside the BMP). */
export function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/** The first `max` code points of `value`; never splits a surrogate pair. */
export function truncateCodePoints(value: string, max: number): string {
  // UTF-16 length bounds the code point count, so short strings need no scan.
  if (value.length <= max) return value;
  return Array.from(value).slice(0, max).join('');
}

const compiledPatterns = new Map<string, RegExp>();

/**
 * A template's `pattern` as it is applied: the whole value must match, in
 * Unicode mode. Throws a `SyntaxError` for a pattern that does not compile
 * (the catalogue loader refuses those). Compiled once per pattern, since the
 * task pane validates on every keystroke.
 */
export function compilePattern(pattern: string): RegExp {
  let regex = compiledPatterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
    compiledPatterns.set(pattern, regex);
  }
  return regex;
}

/** Blank means absent: a string with nothing but white space is no value (a cleared form field, an empty XML attribute). */
export function isBlank(value: string): boolean {
  return value.trim() === '';
}
