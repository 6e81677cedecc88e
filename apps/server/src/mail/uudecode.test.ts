import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { UudecodeStream } from './uudecode.js';

/**
 * Test vectors: the classic "Cat" example of the uuencode format, and lines
 * written by an independent encoder (Python's binascii.b2a_uu, backtick for 0,
 * 45 bytes a line) for "Hello, world!\n" and for the bytes 0 to 255.
 */
const ALL_BYTES_LINES = [
  'M``$"`P0%!@<("0H+#`T.#Q`1$A,4%187&!D:&QP=\'A\\@(2(C)"4F)R@I*BLL',
  "M+2XO,#$R,S0U-C<X.3H[/#T^/T!!0D-$149'2$E*2TQ-3D]045)35%565UA9",
  "M6EM<75Y?8&%B8V1E9F=H:6IK;&UN;W!Q<G-T=79W>'EZ>WQ]?G^`@8*#A(6&",
  'MAXB)BHN,C8Z/D)&2DY25EI>8F9J;G)V>GZ"AHJ.DI::GJ*FJJZRMKJ^PL;*S',
  'MM+6VM[BYNKN\\O;Z_P,\'"P\\3%QL?(R<K+S,W.S]#1TM/4U=;7V-G:V]S=WM_@',
  "?X>+CY.7FY^CIZNOL[>[O\\/'R\\_3U]O?X^?K[_/W^_P``",
];
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Decodes `text` fed in pieces of `step` bytes (every split point of lines and groups is met). */
async function decode(text: string | Buffer, step = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += Math.min(step, bytes.length)) pieces.push(bytes.subarray(at, at + step));
  return buffer(Readable.from(pieces).pipe(new UudecodeStream()));
}

describe('UudecodeStream', () => {
  it('decodes the classic example', async () => {
    expect((await decode('begin 644 cat.txt\n#0V%T\n`\nend\n')).toString()).toBe('Cat');
  });

  it('decodes 0 to 255 across lines, fed whole, byte by byte and in odd pieces, with CRLF or LF', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['begin 600 all.bin', ...ALL_BYTES_LINES, '`', 'end', ''].join(eol);
      for (const step of [Number.POSITIVE_INFINITY, 1, 7, 61]) expect((await decode(text, step)).equals(ALL_BYTES), `${step}`).toBe(true);
    }
  });

  it('reads spaces as zero bits, also where a sender trimmed them off the line end', async () => {
    const line = ".2&5L;&\\L('=O<FQD(0H`";
    const text = (body: string) => `begin 644 h.txt\n${body}\n\`\nend\n`;
    expect((await decode(text(line))).toString()).toBe('Hello, world!\n');
    // the same line with spaces for zero: trailing ones are often stripped in transit
    expect((await decode(text(line.replaceAll('`', ' ').trimEnd()))).toString()).toBe('Hello, world!\n');
  });

  it('skips what comes before begin and after end, and ends the data at the end of input without end', async () => {
    expect((await decode('\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\ntrailing words\r\n')).toString()).toBe('Cat');
    expect((await decode('begin 644 cat.txt\n#0V%T')).toString()).toBe('Cat');
  });

  it('decodes begin-base64 bodies up to ====', async () => {
    expect((await decode('begin-base64 644 cat.txt\nQ2F0\n====\nignored\n')).toString()).toBe('Cat');
  });

  it('passes a body through unchanged when it is not uuencoded after all', async () => {
    const text = '\r\nplain words, no begin line\r\nsecond line\r\n';
    for (const step of [Number.POSITIVE_INFINITY, 3]) expect((await decode(text, step)).toString('latin1')).toBe(text);
    expect((await decode('')).length).toBe(0);
  });
});
