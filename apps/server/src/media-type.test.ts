import { describe, expect, it } from 'vitest';
import { cleanMediaType, UNKNOWN_MEDIA_TYPE } from './media-type.js';

describe('cleanMediaType', () => {
  it.each([
    ['application/pdf', 'application/pdf'],
    ['Text/HTML; charset=utf-8', 'text/html'],
    ['  image/svg+xml  ', 'image/svg+xml'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['message/rfc822', 'message/rfc822'],
  ])('keeps the RFC 6838 name of %j', (raw, expected) => {
    expect(cleanMediaType(raw)).toBe(expected);
  });

  it.each([
    'text/h\u20acml', // not Latin-1: Node refuses it in a header
    'text/h\u00e9ml', // Latin-1, yet not a token character (RFC 9110 §5.6.2)
    'text/html\r\nSet-Cookie: a=b',
    'text/ html',
    'text',
    '/html',
    'text/',
    '',
    ';charset=utf-8',
    `${'a'.repeat(128)}/b`,
    'text/plain/extra',
  ])('makes %j application/octet-stream', (raw) => {
    expect(cleanMediaType(raw)).toBe(UNKNOWN_MEDIA_TYPE);
  });

  it('makes anything that is not a string application/octet-stream', () => {
    for (const raw of [undefined, null, 42, { value: 'text/html' }, ['text/html']]) expect(cleanMediaType(raw)).toBe(UNKNOWN_MEDIA_TYPE);
  });

  it('always returns something a header accepts', () => {
    for (let code = 0; code < 0x3000; code += 1) {
      const type = cleanMediaType(`text/x${String.fromCodePoint(code)}`);
      expect(type, `U+${code.toString(16)}`).toMatch(/^[\x21-\x7e]+$/);
    }
  });
});
