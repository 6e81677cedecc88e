import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILENAME_LENGTH, fallbackFilename, safeFilename } from './attachment-filename.js';

describe('safeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', '.._.._etc_passwd'],
    ['C:\\Users\\ann\\a.doc', 'C:_Users_ann_a.doc'],
    ['bad\u0000name\u0007.txt', 'badname.txt'],
    ['  spaced \t out\r\n.txt ', 'spaced out.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\u202Breport\u202C.pdf', 'report.pdf'],
    ['photo\u2066\u2067gpj\u2069\u2068.scr', 'photogpj.scr'],
    ['\u05E9\u05DC\u05D5\u05DD\u200F.\u200Eexe', '\u05E9\u05DC\u05D5\u05DD.exe'],
    ['\u0645\u0644\u0641\u061C.pdf', '\u0645\u0644\u0641.pdf'],
    ['\u202E\u2066', undefined],
    ['..', undefined],
    ['\u0001\u0002', undefined],
    [undefined, undefined],
  ])('%j becomes %j', (input, expected) => {
    expect(safeFilename(input)).toBe(expected);
  });

  it('bounds the length and keeps the extension', () => {
    const name = safeFilename(`${'\u00e9'.repeat(500)}.pdf`);
    expect(Array.from(name ?? '')).toHaveLength(MAX_FILENAME_LENGTH);
    expect(name?.endsWith('.pdf')).toBe(true);
  });

  it('never returns control characters, separators or overlong names', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (input) => {
        const name = safeFilename(input);
        if (name === undefined) return;
        // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
        expect(name).not.toMatch(/[\u0000-\u001f\u007f-\u009f/\\\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
        expect(Array.from(name).length).toBeLessThanOrEqual(MAX_FILENAME_LENGTH);
        expect(name.trim()).toBe(name);
      }),
    );
  });
});

describe('fallbackFilename', () => {
  it('names a part after its part id and content type', () => {
    expect(fallbackFilename({ partId: '2', contentType: 'application/pdf', isMessage: false })).toBe('attachment-2.pdf');
    expect(fallbackFilename({ partId: '1.3', contentType: 'application/x-unheard-of', isMessage: false })).toBe('attachment-1.3');
  });

  it('names an attached message after its subject', () => {
    expect(fallbackFilename({ partId: '3', contentType: 'message/rfc822', isMessage: true, subject: 'Re: a/b' })).toBe('Re: a_b.eml');
    expect(fallbackFilename({ partId: '3', contentType: 'message/rfc822', isMessage: true })).toBe('message-3.eml');
  });
});
