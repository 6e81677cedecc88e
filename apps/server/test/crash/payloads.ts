import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { base64Body, type Entity, render } from '../fixtures/mail/messages.js';
import { corpusMessages } from '../support/corpus.js';

/** One page as the client posts it. */
export interface Payload {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type Random = () => number;

export { seededRandom } from '@toa/fixtures/random';

/** Always the first choice: with the lists below, the smallest payloads. */
export const smallest: Random = () => 0;

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Sizes from one packet to several megabytes: the large ones are still streaming when a kill comes. */
const BINARY_SIZES = [700, 40_000, 600_000, 3_000_000, 8_000_000];

export function randomBinary(random: Random): Payload {
  return { bytes: randomBytes(pick(random, BINARY_SIZES)), filename: 'scan.bin', contentType: 'application/octet-stream' };
}

let corpus: Array<{ name: string; bytes: Buffer }> | undefined;

/** A real message of the vendored corpus (many of them broken), uploaded as an EML page. */
export function corpusEml(random: Random): Payload {
  corpus ??= corpusMessages().map((file) => ({ name: path.basename(file), bytes: readFileSync(file) }));
  const chosen = pick(random, corpus);
  return { bytes: chosen.bytes, filename: chosen.name, contentType: 'message/rfc822' };
}

/** An EML with attachments to extract, and the hashes its extracted pages must have. */
export interface ExtractableMessage extends Payload {
  attachmentShas: string[];
}

/**
 * A message with two or three attachments of random bytes, up to a few
 * megabytes, so that an extraction takes long enough to be killed midway.
 */
export function extractableMessage(random: Random): ExtractableMessage {
  const attachments = Array.from({ length: 2 + Math.floor(random() * 2) }, (_, index) => ({
    filename: `part-${index + 1}.pdf`,
    content: randomBytes(pick(random, [2_000, 90_000, 700_000])),
  }));
  const message: Entity = {
    headers: [
      'From: "Ann Example" <ann@example.com>',
      'To: bob@example.com',
      'Subject: Crash test',
      'Date: Sat, 21 Nov 2026 09:42:00 +0100',
      `Message-ID: <${randomBytes(6).toString('hex')}@example.com>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="crash"',
    ],
    boundary: 'crash',
    parts: [
      { headers: ['Content-Type: text/plain; charset=utf-8'], body: 'See the attachments.' },
      ...attachments.map((a) => ({
        headers: [
          `Content-Type: application/pdf; name="${a.filename}"`,
          `Content-Disposition: attachment; filename="${a.filename}"`,
          'Content-Transfer-Encoding: base64',
        ],
        body: base64Body(a.content),
      })),
    ],
  };
  return {
    bytes: Buffer.from(render(message, '\r\n')),
    filename: 'crash.eml',
    contentType: 'message/rfc822',
    attachmentShas: attachments.map((a) => sha256(a.content)),
  };
}
