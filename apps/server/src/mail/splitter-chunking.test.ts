import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { corpusMessages } from '@toa/fixtures';
import { Joiner, Splitter } from '@zone-eu/mailsplit';
import { describe, expect, it } from 'vitest';
import { SPLITTER_OPTIONS } from './part-numbering.js';
import { readSummaryFrom } from './read-summary.js';

/**
 * A message reaches the splitter in whatever pieces the socket or the file
 * gives: a line end, a delimiter line or a CRLF pair may be cut anywhere.
 * What it makes of the message must not depend on that (the line scan of
 * patches/@zone-eu+mailsplit+5.4.19+003+fast-line-scan.patch jumps from one
 * line end to the next within a chunk and must carry a line over to the
 * next exactly as a byte-at-a-time scan did).
 */

/** Byte-at-a-time pieces only for small messages: every piece is a turn of the splitter's event loop. */
const SMALL_BYTES = 64 * 1024;

function piecesOf(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
}

/** The message split and joined again by mailsplit (what the extraction's rewrite rests on). */
async function rejoined(pieces: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(pieces), new Splitter(SPLITTER_OPTIONS), new Joiner(), collect);
  return Buffer.concat(out);
}

/** The sidecar's listing of the message, or the refusal it ends in. */
function listing(pieces: Buffer[]): Promise<unknown> {
  return readSummaryFrom(Readable.from(pieces)).catch((error: Error) => ({ refused: error.message }));
}

describe('splitting a message in pieces of any size', () => {
  for (const file of corpusMessages()) {
    it(`${path.basename(file)}: joined back byte for byte and listed alike, whole or in pieces`, async () => {
      const bytes = await readFile(file);
      const whole = await listing([bytes]);
      const sizes = bytes.length <= SMALL_BYTES ? [1, 2, 3, 77, 4096] : [77, 4096, 65_536];
      for (const size of sizes) {
        const pieces = piecesOf(bytes, size);
        expect((await rejoined(pieces)).equals(bytes), `rejoined from pieces of ${size}`).toBe(true);
        expect(await listing(pieces), `listed from pieces of ${size}`).toEqual(whole);
      }
    });
  }
});
