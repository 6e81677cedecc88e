import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AttachmentStream, MailParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import {
  type Entity,
  type Multipart,
  INNER_PDF,
  NOTES,
  PDF,
  PNG,
  attachedMessage,
  nestedMixed,
  onlyAttachment,
  plainText,
  relatedImage,
  render,
  withTempDir,
} from '../../test/fixtures/mail/messages.js';
import { corpusMessages } from '../../test/support/corpus.js';
import { isAppError } from '../errors.js';
import { type ExtractPartsResult, extractParts, pageContentType } from './extract-parts.js';
import { type ListedAttachment, summarizeMessage } from './summarize-message.js';

interface Reference {
  /** what mailparser decodes for the attachment */
  content: Buffer;
  /** lowercase value of its Content-Type header, when it has one */
  contentType: string | undefined;
  transferEncoding: string | undefined;
}

/**
 * What mailparser itself finds for each attachment (embedded messages kept
 * whole), by part id. mailparser passes uuencoded bodies through undecoded;
 * for those parts the reference is the decoded bytes the corpus README gives
 * (reported.http.test.ts checks them), so they are compared by size here.
 */
async function mailparserAttachments(file: string): Promise<Map<string, Reference>> {
  const found = new Map<string, Reference>();
  await pipeline(createReadStream(file), new MailParser({ ignoreEmbedded: true } as object), async (items: AsyncIterable<AttachmentStream>) => {
    for await (const item of items) {
      if (item.type !== 'attachment') continue;
      const chunks: Buffer[] = [];
      for await (const chunk of item.content as Readable) chunks.push(chunk as Buffer);
      item.release();
      const contentType = item.headers.get('content-type') as { value: string } | undefined;
      const transferEncoding = item.headers.get('content-transfer-encoding');
      if (item.partId) {
        found.set(item.partId, {
          content: Buffer.concat(chunks),
          contentType: contentType?.value.toLowerCase(),
          transferEncoding: typeof transferEncoding === 'string' ? transferEncoding.toLowerCase() : undefined,
        });
      }
    }
  });
  return found;
}

const UUENCODED = new Set(['x-uuencode', 'uuencode', 'x-uue']);

/** Whether a removed span evidently holds the part: its Content-Type and, when base64, the start of its body. */
function spanHoldsPart(span: string, part: Reference): boolean {
  if (part.contentType !== undefined && !span.toLowerCase().includes(part.contentType)) return false;
  if (part.transferEncoding === 'base64' && part.content.length >= 30) {
    return span.replace(/\s+/g, '').includes(part.content.toString('base64').slice(0, 40));
  }
  return true;
}

/**
 * Aligns `rewritten` against `source` assuming only deletions: returns the
 * removed spans, or undefined when `rewritten` is not `source` with some spans
 * cut out. After a mismatch it resumes where the next bytes of `rewritten`
 * occur again in `source`, trying later occurrences when an earlier one leads
 * nowhere. Where a span boundary is ambiguous (equal bytes on both sides) the
 * span comes out shifted, never wrong in what it removes overall.
 */
function removedSpans(source: Buffer, rewritten: Buffer, s = 0, r = 0): Array<[number, number]> | undefined {
  while (r < rewritten.length && s < source.length && source[s] === rewritten[r]) {
    s += 1;
    r += 1;
  }
  if (r === rewritten.length) return s < source.length ? [[s, source.length]] : [];
  const tail = rewritten.length - r;
  // a remainder is most likely the source's own tail: try that first, for the fewest spans
  const candidates = source.length - tail > s ? [source.length - tail] : [];
  // else resume where the next bytes occur again; shorter probes when a span follows closely
  for (const length of [64, 16, 4]) {
    const probe = rewritten.subarray(r, r + length);
    for (let at = source.indexOf(probe, s + 1); at >= 0; at = source.indexOf(probe, at + 1)) candidates.push(at);
  }
  for (const resume of new Set(candidates)) {
    const rest = removedSpans(source, rewritten, resume, r);
    if (rest !== undefined) return [[s, resume], ...rest];
  }
  return undefined;
}

/** Filenames generated from a part id shift with the part ids; compare them without it. */
const comparable = (attachment: ListedAttachment) => ({
  filename: attachment.filename.replace(/^(attachment|message)-[\d.]+/, '$1-N'),
  contentType: attachment.contentType,
  size: attachment.size,
  isMessage: attachment.isMessage,
});

/**
 * Extracts `partIds` from `file` into `dir` and checks everything the
 * extraction promises against independent evidence. Returns the result.
 */
async function extractAndVerify(file: string, dir: string, partIds: string[] | undefined): Promise<ExtractPartsResult> {
  const before = await summarizeMessage(file);
  const reference = await mailparserAttachments(file);
  const rewrittenPath = path.join(dir, 'rewritten.eml');
  const result = await extractParts({ source: file, partIds, rewrittenPath, partPath: (i) => path.join(dir, `part-${i}`) });
  const extractedIds = result.parts.map((part) => part.partId);
  const source = await readFile(file);

  if (before.protection !== undefined) {
    // (1, 2) a signed or encrypted message is kept whole: nothing is rewritten, the parts are copies
    expect(result.rewritten, `${file} is kept whole`).toBeUndefined();
    expect(await readFile(file)).toEqual(source);
  } else {
    // (1) the rewritten file is the source with spans cut out, and the spans hold the parts' headers
    const rewritten = await readFile(rewrittenPath);
    expect(result.rewritten?.size).toBe(rewritten.length);
    const spans = removedSpans(source, rewritten);
    expect(spans, `${file} rewritten is a cut of the source`).toBeDefined();
    expect(spans?.length).toBeGreaterThan(0);
    expect(spans?.length).toBeLessThanOrEqual(extractedIds.length);
    // a span whose edges could slide (equal bytes on both sides) is looked at over its whole sliding range
    const removed = (spans ?? []).map(([start, end]) => {
      let from = start;
      for (let to = end; from > 0 && source[from - 1] === source[to - 1]; to -= 1) from -= 1;
      return source.subarray(from, end).toString('latin1');
    });
    for (const partId of extractedIds) {
      const part = reference.get(partId);
      expect(part, `mailparser lists ${partId}`).toBeDefined();
      expect(
        removed.some((span) => part !== undefined && spanHoldsPart(span, part)),
        `a removed span of ${file} holds part ${partId}`,
      ).toBe(true);
    }

    // (2) the rewritten message lists exactly the attachments that were left
    const after = await summarizeMessage(rewrittenPath);
    const left = before.attachments.filter((attachment) => !extractedIds.includes(attachment.partId));
    expect(after.attachments.map(comparable), `${file} without ${extractedIds.join(', ')}`).toEqual(left.map(comparable));
  }

  // (3) each part file holds what mailparser decodes for it; (4) an attached message is an EML itself
  for (const part of result.parts) {
    const written = await readFile(part.path);
    const listed = before.attachments.find((attachment) => attachment.partId === part.partId) as ListedAttachment;
    const expected = reference.get(part.partId);
    if (expected !== undefined && !UUENCODED.has(expected.transferEncoding ?? '')) {
      expect(written.equals(expected.content), `content of ${part.partId} of ${file}`).toBe(true);
    }
    expect(part.size).toBe(written.length);
    expect(listed.size, `listed size of ${part.partId} of ${file}`).toBe(written.length);
    expect(part).toMatchObject({ filename: listed.filename, contentType: pageContentType(listed), isMessage: listed.isMessage });
    if (part.isMessage) await expect(summarizeMessage(part.path)).resolves.toBeDefined();
  }

  // nothing else was written
  const outputs = [...(result.rewritten ? [rewrittenPath] : []), ...result.parts.map((part) => part.path)].map((output) => path.basename(output)).sort();
  expect((await readdir(dir)).sort()).toEqual(outputs);
  return result;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isAppError(error) ? error.code : error).toBe(code);
}

describe('extractParts on the corpus', () => {
  // two worker passes per attachment of every corpus message, one after another: under a loaded full run it passed 30 s
  it('takes out every attachment alone, and all that are not inline together', { timeout: 120_000 }, async () => {
    let checked = 0;
    for (const file of corpusMessages()) {
      const { attachments } = await summarizeMessage(file);
      const choices: Array<string[] | undefined> = attachments.map((attachment) => [attachment.partId]);
      if (attachments.some((attachment) => !attachment.inline)) choices.push(undefined);
      for (const partIds of choices) {
        await withTempDir(async (dir) => {
          await extractAndVerify(file, dir, partIds);
        });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('extractParts on generated messages', () => {
  for (const eol of ['\r\n', '\n'] as const) {
    const label = eol === '\r\n' ? 'CRLF' : 'LF';
    const write = async (dir: string, entity: Entity): Promise<string> => {
      const file = path.join(dir, 'source', 'm.eml');
      await mkdir(path.dirname(file));
      await writeFile(file, render(entity, eol));
      return file;
    };

    it(`takes the attachments out of a nested multipart, the last part included (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = await write(dir, nestedMixed);
        const out = path.join(dir, 'out');
        await mkdir(out);
        const result = await extractAndVerify(file, out, undefined);
        expect(result.parts.map((part) => [part.partId, part.filename])).toEqual([
          ['2', 'report.pdf'],
          ['3', 'notes.txt'],
        ]);
        expect((await readFile(result.parts[0]?.path ?? '')).equals(PDF)).toBe(true);
        expect(await readFile(result.parts[1]?.path ?? '', 'utf8')).toBe(NOTES.replaceAll('\n', eol));
        // exactly the two parts are gone. The line break after `--alt--` stays: in front of a
        // delimiter that follows a nested multipart it is the inner epilogue's, not the part's
        const expected = render({ ...nestedMixed, parts: nestedMixed.parts.slice(0, 1) } as Entity, eol);
        expect(await readFile(path.join(out, 'rewritten.eml'), 'utf8')).toBe(expected.replace(`--alt--${eol}`, `--alt--${eol}${eol}`));
      });
    });

    it(`removes only the last part when asked for it (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = await write(dir, nestedMixed);
        const out = path.join(dir, 'out');
        await mkdir(out);
        await extractAndVerify(file, out, ['3']);
        const expected = render({ ...nestedMixed, parts: nestedMixed.parts.slice(0, 2) } as Entity, eol);
        expect(await readFile(path.join(out, 'rewritten.eml'), 'utf8')).toBe(expected);
      });
    });

    it(`leaves an inline image unless it is asked for (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = await write(dir, relatedImage);
        for (const [name, partIds, taken] of [
          ['default', undefined, ['2']],
          ['explicit', ['1.2'], ['1.2']],
        ] as const) {
          const out = path.join(dir, name);
          await mkdir(out);
          const result = await extractAndVerify(file, out, partIds ? [...partIds] : undefined);
          expect(result.parts.map((part) => part.partId)).toEqual(taken);
        }
        expect((await readFile(path.join(dir, 'explicit', 'part-0'))).equals(PNG)).toBe(true);
      });
    });

    it(`takes out an attached message whole, as an EML that can be extracted further (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = await write(dir, attachedMessage(eol));
        const out = path.join(dir, 'out');
        await mkdir(out);
        const [part] = (await extractAndVerify(file, out, undefined)).parts;
        expect(part).toMatchObject({ partId: '2', filename: 'Inner: contract draft.eml', contentType: 'message/rfc822', isMessage: true });
        expect(await readFile(part?.path ?? '', 'utf8')).toBe(
          render(attachedMessage(eol).parts[1] as Entity, eol)
            .split(eol + eol)
            .slice(1)
            .join(eol + eol),
        );

        const inner = path.join(dir, 'inner');
        await mkdir(inner);
        const nested = await extractAndVerify(part?.path ?? '', inner, undefined);
        expect(nested.parts.map((p) => p.filename)).toEqual(['inner.pdf']);
        expect((await readFile(nested.parts[0]?.path ?? '')).equals(INNER_PDF)).toBe(true);
      });
    });

    it(`keeps a multipart whose only part is taken out a readable message (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = await write(dir, onlyAttachment);
        const out = path.join(dir, 'out');
        await mkdir(out);
        await extractAndVerify(file, out, ['1']);
        const rewritten = await readFile(path.join(out, 'rewritten.eml'), 'utf8');
        expect(rewritten.endsWith(`--scan--${eol}`)).toBe(true);
        expect((await summarizeMessage(path.join(out, 'rewritten.eml'))).subject).toBe('Scan');
      });
    });
  }
});

describe('extractParts refusals', () => {
  const setUp = async (dir: string, content: string) => {
    const file = path.join(dir, 'm.eml');
    await writeFile(file, content);
    const out = path.join(dir, 'out');
    await mkdir(out);
    return { file, out, args: { source: file, rewrittenPath: path.join(out, 'rewritten.eml'), partPath: (i: number) => path.join(out, `part-${i}`) } };
  };

  it('refuses an unknown part id and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const { out, args } = await setUp(dir, render(nestedMixed, '\r\n'));
      await expectCode(extractParts({ ...args, partIds: ['2', '9.9'] }), 'ATTACHMENT_NOT_FOUND');
      await expectCode(extractParts({ ...args, partIds: ['1'] }), 'ATTACHMENT_NOT_FOUND'); // a body, not an attachment
      expect(await readdir(out)).toEqual([]);
    });
  });

  it('refuses when nothing is chosen and writes nothing', async () => {
    await withTempDir(async (dir) => {
      const plain = await setUp(dir, render(plainText, '\r\n'));
      await expectCode(extractParts(plain.args), 'NOTHING_TO_EXTRACT');
      await expectCode(extractParts({ ...plain.args, partIds: [] }), 'NOTHING_TO_EXTRACT');
      expect(await readdir(plain.out)).toEqual([]);
    });
  });

  it('refuses when every attachment is inline', async () => {
    await withTempDir(async (dir) => {
      const related = relatedImage.parts[0] as Multipart;
      const { out, args } = await setUp(dir, render({ ...related, headers: ['From: a@example.com', ...related.headers] }, '\n'));
      await expectCode(extractParts(args), 'NOTHING_TO_EXTRACT');
      expect(await readdir(out)).toEqual([]);
    });
  });

  it('refuses what is not a message', async () => {
    await withTempDir(async (dir) => {
      const { out, args } = await setUp(dir, '%PDF-1.4\n');
      await expectCode(extractParts(args), 'MESSAGE_UNPARSEABLE');
      expect(await readdir(out)).toEqual([]);
    });
  });

  it('removes what it wrote when an output cannot be created, and leaves the existing file alone', async () => {
    await withTempDir(async (dir) => {
      const { out, args } = await setUp(dir, render(nestedMixed, '\r\n'));
      await writeFile(path.join(out, 'part-1'), 'already here');
      const error = await extractParts(args).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'EEXIST' });
      expect(await readdir(out)).toEqual(['part-1']);
      expect(await readFile(path.join(out, 'part-1'), 'utf8')).toBe('already here');
    });
  });

  it('refuses to cut a structure whose bytes mailsplit cannot account for, and writes nothing', async () => {
    // the first part's header block is cut short by the next delimiter: mailsplit drops those lines
    const broken = [
      'From: a@example.com',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: application/pdf',
      'Content-Disposition: attachment; filename=a.pdf',
      '--b',
      'Content-Type: application/pdf',
      'Content-Disposition: attachment; filename=b.pdf',
      '',
      'JVBERi0=',
      '--b--',
      '',
    ].join('\r\n');
    await withTempDir(async (dir) => {
      const { out, args } = await setUp(dir, broken);
      const { attachments } = await summarizeMessage(args.source);
      expect(attachments.map((attachment) => attachment.filename)).toEqual(['b.pdf']);
      await expectCode(extractParts(args), 'MESSAGE_UNPARSEABLE');
      expect(await readdir(out)).toEqual([]);
    });
  });

  it('extracts from damaged messages or refuses them cleanly', async () => {
    const original = render(relatedImage, '\r\n');
    for (const cut of [400, 900, 1500, 2200, original.length - 20]) {
      await withTempDir(async (dir) => {
        const { out, args } = await setUp(dir, original.slice(0, cut));
        const outcome = await extractParts({ ...args, partIds: undefined }).then(
          () => 'ok',
          (error: unknown) => (isAppError(error) ? error.code : error),
        );
        expect(['ok', 'NOTHING_TO_EXTRACT', 'MESSAGE_UNPARSEABLE']).toContain(outcome);
        if (outcome !== 'ok') expect(await readdir(out)).toEqual([]);
      });
    }
  });
});
