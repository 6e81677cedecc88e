import { createHash } from 'node:crypto';
import type { WrittenLeaf } from './mime-trees.js';
import type { PostalAttachment, PostalReading } from './postal-reading.js';
import type { ToaAttachment, ToaReading } from './toa-reading.js';

export type DisagreementKind =
  /** TOA refuses the message (sidecar pass), postal-mime reads it */
  | 'toa-refused'
  /** postal-mime throws on a message TOA reads */
  | 'postal-refused'
  /** TOA lists attachments but cannot extract them */
  | 'extract-refused'
  /** a part TOA lists as attachment and postal-mime does not */
  | 'only-toa'
  /** a part postal-mime lists as attachment and TOA does not */
  | 'only-postal'
  /** both list the part, with different content types */
  | 'content-type'
  /** both list the part, with different decoded bytes */
  | 'bytes'
  /** TOA's sidecar size is not the size of the bytes its extraction wrote */
  | 'size'
  /** postal-mime, reading TOA's rewritten message, finds other attachments or another body than the original minus the extracted parts */
  | 'rewrite';

export interface Disagreement {
  /** the corpus file or `generated seed/index` */
  message: string;
  kind: DisagreementKind;
  partId?: string | undefined;
  detail: string;
  toa?: ToaAttachment | undefined;
  postal?: PostalAttachment | undefined;
  /** generated messages: the leaf as it was written */
  written?: WrittenLeaf | undefined;
}

export type PostalOutcome = { ok: true; reading: PostalReading } | { ok: false; error: string };

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const key = (partId: string | undefined): string => partId ?? '(message body)';

/**
 * Every disagreement between TOA's and postal-mime's reading of one message:
 * which parts are attachments, their content types, decoded bytes and sizes,
 * and what is left after TOA's extraction (`rewritten`, read by postal-mime).
 */
export function compareReadings(args: {
  message: string;
  toa: ToaReading;
  postal: PostalOutcome;
  rewritten?: PostalOutcome | undefined;
  written?: readonly WrittenLeaf[] | undefined;
}): Disagreement[] {
  const { message, toa, postal } = args;
  const found: Disagreement[] = [];
  const written = (partId: string | undefined): WrittenLeaf | undefined => args.written?.find((leaf) => leaf.partId === partId);
  if (!toa.ok && !postal.ok) return found; // both refuse: they agree
  if (!toa.ok) return [{ message, kind: 'toa-refused', detail: toa.error }];
  if (!postal.ok) return [{ message, kind: 'postal-refused', detail: postal.error }];

  const theirs = new Map(postal.reading.attachments.map((attachment) => [key(attachment.partId), attachment]));
  const ours = new Map(toa.attachments.map((attachment) => [key(attachment.partId), attachment]));
  if (toa.extractError !== undefined) found.push({ message, kind: 'extract-refused', detail: toa.extractError });

  for (const [id, mine] of ours) {
    const other = theirs.get(id);
    const context = { message, partId: mine.partId, toa: mine, postal: other, written: written(mine.partId) };
    if (other === undefined) {
      found.push({ ...context, kind: 'only-toa', detail: `TOA lists ${mine.contentType} "${mine.filename}"` });
      continue;
    }
    if (mine.contentType !== other.contentType) {
      found.push({ ...context, kind: 'content-type', detail: `TOA ${mine.contentType}, postal-mime ${other.contentType}` });
    }
    if (mine.extracted === undefined) continue; // the extraction failed as a whole, reported above
    if (mine.extracted.size !== mine.size || mine.extracted.sha256 !== sha256(mine.extracted.content)) {
      found.push({ ...context, kind: 'size', detail: `sidecar ${mine.size} B, extracted ${mine.extracted.size} B` });
    }
    if (mine.extracted.sha256 !== other.sha256) {
      found.push({ ...context, kind: 'bytes', detail: `TOA ${mine.extracted.size} B, postal-mime ${other.content.length} B (${other.encoding})` });
    }
  }
  for (const [id, other] of theirs) {
    if (!ours.has(id)) {
      found.push({
        message,
        kind: 'only-postal',
        partId: other.partId,
        postal: other,
        written: written(other.partId),
        detail: `postal-mime lists ${other.contentType}`,
      });
    }
  }

  if (toa.rewritten !== undefined && args.rewritten !== undefined) {
    found.push(...compareRewrite(message, toa.attachments, postal.reading, args.rewritten));
  }
  return found;
}

/** What postal-mime finds in the rewritten message must be what it found in the original, less the parts TOA took out. */
function compareRewrite(message: string, extracted: readonly ToaAttachment[], original: PostalReading, rewritten: PostalOutcome): Disagreement[] {
  if (!rewritten.ok) return [{ message, kind: 'rewrite', detail: `postal-mime cannot read the rewritten message: ${rewritten.error}` }];
  const taken = new Set(extracted.map((attachment) => key(attachment.partId)));
  const expected = original.attachments
    .filter((attachment) => !taken.has(key(attachment.partId)))
    .map((attachment) => attachment.sha256)
    .sort();
  const actual = rewritten.reading.attachments.map((attachment) => attachment.sha256).sort();
  const found: Disagreement[] = [];
  if (expected.join() !== actual.join()) {
    found.push({
      message,
      kind: 'rewrite',
      detail: `attachments left: expected ${expected.length}, postal-mime finds ${actual.length} with other bytes or count`,
    });
  }
  if (original.text !== rewritten.reading.text || original.html !== rewritten.reading.html) {
    found.push({ message, kind: 'rewrite', detail: 'the text or HTML body differs after extraction' });
  }
  return found;
}

/**
 * What postal-mime makes of a part's bytes when it does not decode them
 * (7bit, 8bit, binary, unknown encodings) or decodes quoted-printable: it
 * reads line by line, drops each line's CR and LF and ends every line with
 * LF, the last one too. Two forms, as the last line break of the bytes may be
 * one postal-mime reads as an empty last line (a part followed by a
 * delimiter) or not (a part the message ends in).
 */
export function asPostalMimeLines(bytes: Buffer): Buffer[] {
  if (bytes.length === 0) return [bytes, Buffer.from('\n')];
  const lines = bytes
    .toString('latin1')
    .split('\n')
    .map((line) => line.replace(/\r+$/, ''))
    .join('\n');
  return [Buffer.from(`${lines}\n`, 'latin1'), Buffer.from(lines, 'latin1')];
}
