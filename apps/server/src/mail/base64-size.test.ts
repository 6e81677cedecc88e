import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Base64Size } from './base64-size.js';
import { partDecoder } from './part-decoder.js';

/** A base64 part as mailsplit reads it, for its decoder: the one the extraction writes with. */
let node: MimeNode;
beforeAll(async () => {
  const splitter = new Splitter();
  splitter.end('Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n');
  for await (const chunk of splitter as AsyncIterable<SplitterChunk>) if (chunk.type === 'node') node = chunk;
});

const decoder = () => partDecoder(node).decoder;

/** The bytes the part's own decoder gives for `chunks`. */
async function decodedLength(chunks: Buffer[]): Promise<number> {
  let length = 0;
  const decoding = decoder();
  decoding.on('data', (bytes: Buffer) => {
    length += bytes.length;
  });
  await pipeline(Readable.from(chunks), decoding);
  return length;
}

async function counted(chunks: Buffer[]): Promise<number> {
  const sizer = new Base64Size(decoder);
  await pipeline(Readable.from(chunks), sizer);
  return sizer.size;
}

/** `text` cut into chunks at the given offsets. */
function chunked(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'latin1');
  const offsets = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const offset of [...offsets, bytes.length]) {
    if (offset > from) chunks.push(bytes.subarray(from, offset));
    from = Math.max(from, offset);
  }
  return chunks;
}

describe('Base64Size', () => {
  it('tells the decoded size of base64 bodies as mail clients write them, padded or not', async () => {
    for (const length of [0, 1, 2, 3, 4, 56, 57, 58, 1000, 100_003]) {
      const bytes = Buffer.alloc(length, 0xab);
      const body = `${bytes.toString('base64').replace(/.{1,76}/g, '$&\r\n')}`;
      expect(await counted(chunked(body, [7, 77, 78, 300, 4096]))).toBe(length);
      expect(await counted(chunked(body.replace(/=+/, ''), [13]))).toBe(length);
    }
  });

  it('gives what the decoder gives for any body in any chunks: padding inside, blanks, garbage, bare line breaks', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const char = fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom(...alphabet) },
      { weight: 3, arbitrary: fc.constantFrom('\r\n', '\n', '\r') },
      { weight: 1, arbitrary: fc.constantFrom('=', '==', ' ', '\t', '-', '*', '\u00e9', '\u0000') },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(char, { maxLength: 400 }), fc.array(fc.nat(500), { maxLength: 8 }), async (chars, cuts) => {
        const chunks = chunked(chars.join(''), cuts);
        expect(await counted(chunks)).toBe(await decodedLength(chunks));
      }),
      { numRuns: 400 },
    );
  });
});
