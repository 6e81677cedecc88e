import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { attachmentInfoSchema, SIDECAR_SCHEMA_VERSION, sidecarSchema } from '@toa/api/imports';
import { z } from '@toa/api/zod';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INNER_PDF, NOTES, PDF, PNG, attachedMessage, nestedMixed, relatedImage, render, withTempDir } from '../../test/fixtures/mail/messages.js';
import { corpusDir, corpusMessages } from '../../test/support/corpus.js';
import { isAppError } from '../errors.js';
import { type MessageSummary, summarizeMessage } from './summarize-message.js';

/** Corpus messages that are refused as not being e-mail. A change here is a change in behaviour. */
const REFUSED_CORPUS_MESSAGES: string[] = [];

/** Summarizes, or returns the error code of an AppError; anything else fails the test. */
async function summarizeOrCode(file: string): Promise<MessageSummary | string> {
  try {
    return await summarizeMessage(file);
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
}

/** The summary must fit the shared sidecar schema (it becomes one). */
function expectSidecarShape(summary: MessageSummary): void {
  sidecarSchema.parse({ schemaVersion: SIDECAR_SCHEMA_VERSION, size: 0, sha256: '0'.repeat(64), ...summary });
}

describe('summarizeMessage on the corpus', () => {
  const files = corpusMessages();

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('summarizes every message or refuses it as MESSAGE_UNPARSEABLE, and only the listed ones', async () => {
    const refused: string[] = [];
    for (const file of files) {
      const result = await summarizeOrCode(file);
      if (typeof result === 'string') {
        expect(result, file).toBe('MESSAGE_UNPARSEABLE');
        refused.push(path.relative(corpusDir, file));
      } else {
        expectSidecarShape(result);
      }
    }
    expect(refused).toEqual(REFUSED_CORPUS_MESSAGES);
  });

  it('lists an attached message as one attachment, named after its subject when it has no filename', async () => {
    const bounce = await summarizeMessage(path.join(corpusDir, 'mikel-mail/multipart_report_emails/multi_address_bounce1.eml'));
    expect(bounce.attachments).toEqual([
      { partId: '3', filename: 'Test of bounce email.eml', contentType: 'message/rfc822', size: 1381, inline: false, isMessage: true },
    ]);
  });

  it('does not list the body of a message that is a single attachment', async () => {
    const summary = await summarizeMessage(path.join(corpusDir, 'mikel-mail/attachment_emails/attachment_only_email.eml'));
    expect(summary.attachments).toEqual([]);
    expect(summary.subject).toBe('this message JUST contains an attachment');
  });
});

describe('summarizeMessage on generated messages', () => {
  for (const eol of ['\r\n', '\n'] as const) {
    const label = eol === '\r\n' ? 'CRLF' : 'LF';

    it(`decodes the headers and lists nested attachments (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = path.join(dir, 'm.eml');
        await writeFile(file, render(nestedMixed, eol));
        expect(await summarizeMessage(file)).toEqual({
          from: { name: 'Ann Example', address: 'ann@example.com' },
          subject: 'Quarterly report \u2013 Q3',
          date: '2026-11-21T09:42:00.000+01:00',
          messageId: '<fixture@example.com>',
          attachments: [
            { partId: '2', filename: 'report.pdf', contentType: 'application/pdf', size: PDF.length, inline: false, isMessage: false },
            {
              partId: '3',
              filename: 'notes.txt',
              contentType: 'text/plain',
              size: Buffer.byteLength(NOTES.replaceAll('\n', eol)),
              inline: false,
              isMessage: false,
            },
          ],
        });
      });
    });

    it(`marks an image of a multipart/related body inline (${label})`, async () => {
      await withTempDir(async (dir) => {
        const file = path.join(dir, 'm.eml');
        await writeFile(file, render(relatedImage, eol));
        const { attachments } = await summarizeMessage(file);
        expect(attachments).toEqual([
          { partId: '1.2', filename: 'logo.png', contentType: 'image/png', size: PNG.length, inline: true, contentId: 'logo@example.com', isMessage: false },
          { partId: '2', filename: 'invoice.pdf', contentType: 'application/pdf', size: PDF.length, inline: false, isMessage: false },
        ]);
      });
    });

    for (const disposition of ['attachment', 'inline'] as const) {
      it(`lists an attached message (${disposition}) as one attachment, not its parts (${label})`, async () => {
        await withTempDir(async (dir) => {
          const file = path.join(dir, 'm.eml');
          await writeFile(file, render(attachedMessage(eol, disposition), eol));
          const { attachments } = await summarizeMessage(file);
          expect(attachments).toHaveLength(1);
          expect(attachments[0]).toMatchObject({ partId: '2', filename: 'Inner: contract draft.eml', contentType: 'message/rfc822', isMessage: true });
          // the decoded size is the embedded message's, which itself carries inner.pdf
          expect(attachments[0]?.size).toBeGreaterThan(INNER_PDF.length);
        });
      });
    }
  }

  it('leaves out a date that does not parse rather than inventing one', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'm.eml');
      await writeFile(file, 'From: a@example.com\r\nDate: sometime last week\r\nSubject: x\r\n\r\nbody\r\n');
      const summary = await summarizeMessage(file);
      expect(summary.date).toBeUndefined();
      expect(summary.from).toEqual({ address: 'a@example.com' });
    });
  });

  it('reads a date with a wrong weekday and an obsolete zone', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'm.eml');
      await writeFile(file, 'From: a@example.com\r\nDate: Mon, 22 Jan 2002 14:35:28 UT\r\n\r\nbody\r\n');
      expect((await summarizeMessage(file)).date).toBe('2002-01-22T14:35:28.000Z');
    });
  });

  it('names attachments without a filename from their content type and part id', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'm.eml');
      const message = render(
        {
          headers: ['From: a@example.com', 'Content-Type: multipart/mixed; boundary=b'],
          boundary: 'b',
          parts: [
            { headers: ['Content-Type: text/plain'], body: 'text' },
            { headers: ['Content-Type: application/pdf', 'Content-Transfer-Encoding: base64'], body: base64(PDF) },
            { headers: ['Content-Type: application/x-unheard-of'], body: 'x' },
            { headers: ['Content-Type: text/plain', 'Content-Disposition: attachment; filename="../../etc/pass\u0007wd"'], body: 'y' },
          ],
        },
        '\r\n',
      );
      await writeFile(file, message);
      const names = (await summarizeMessage(file)).attachments.map((attachment) => attachment.filename);
      expect(names).toEqual(['attachment-2.pdf', 'attachment-3', '.._.._etc_passwd']);
    });
  });
});

function base64(content: Buffer): string {
  return content.toString('base64');
}

/** A message from header lines and a body, with CRLF line ends. */
function message(lines: string[]): string {
  return `${['From: a@example.com', 'Subject: rules', 'MIME-Version: 1.0', ...lines].join('\r\n')}\r\n`;
}

async function summaryOf(content: string): Promise<MessageSummary> {
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'm.eml');
    await writeFile(file, content);
    return summarizeMessage(file);
  });
}

const PDF64 = PDF.toString('base64');

describe('what counts as an attachment (RFC 2046, 2183, 2387, 2392, 2557)', () => {
  it('calls a part inline only when the HTML refers to it, by cid: or by Content-Location, or when it is an image of multipart/related', async () => {
    const { attachments } = await summaryOf(
      message([
        'Content-Type: multipart/mixed; boundary=m',
        '',
        '--m',
        'Content-Type: multipart/related; boundary=r',
        '',
        '--r',
        'Content-Type: text/html',
        '',
        '<img src="cid:used@x"><a href="http://files.example/terms.pdf">terms</a>',
        '--r',
        'Content-Type: application/pdf; name=used.pdf',
        'Content-ID: <used@x>',
        'Content-Transfer-Encoding: base64',
        '',
        PDF64,
        '--r',
        'Content-Type: application/pdf; name=terms.pdf',
        'Content-Location: http://files.example/terms.pdf',
        'Content-Transfer-Encoding: base64',
        '',
        PDF64,
        '--r',
        'Content-Type: image/png; name=unused.png',
        'Content-ID: <unused-image@x>',
        'Content-Transfer-Encoding: base64',
        '',
        PNG.toString('base64'),
        '--r--',
        '--m',
        'Content-Type: application/pdf; name=scan.pdf',
        'Content-Disposition: inline; filename=scan.pdf',
        'Content-ID: <scan@x>',
        'Content-Transfer-Encoding: base64',
        '',
        PDF64,
        '--m--',
      ]),
    );
    expect(attachments.map((a) => [a.filename, a.inline])).toEqual([
      ['used.pdf', true],
      ['terms.pdf', true],
      ['unused.png', true],
      // inline by disposition and with a Content-ID, but nothing refers to it: Apple Mail's way of attaching
      ['scan.pdf', false],
    ]);
  });

  it('never lists an alternative of the body, unless it says attachment', async () => {
    const { attachments } = await summaryOf(
      message([
        'Content-Type: multipart/alternative; boundary=a',
        '',
        '--a',
        'Content-Type: text/plain',
        '',
        'plain',
        '--a',
        'Content-Type: text/calendar; method=REQUEST',
        '',
        'BEGIN:VCALENDAR',
        '--a',
        'Content-Type: text/x-amp-html',
        '',
        '<html amp4email></html>',
        '--a',
        'Content-Type: application/pdf; name=odd.pdf',
        'Content-Disposition: attachment; filename=odd.pdf',
        'Content-Transfer-Encoding: base64',
        '',
        PDF64,
        '--a--',
      ]),
    );
    expect(attachments.map((a) => a.filename)).toEqual(['odd.pdf']);
  });

  it("keeps the declared content type; the filename's type is beside it, and a part that declares none gets its filename's", async () => {
    const { attachments } = await summaryOf(
      message([
        'Content-Type: multipart/mixed; boundary=m',
        '',
        '--m',
        'Content-Type: text/plain',
        '',
        'body',
        '--m',
        'Content-Type: application/octet-stream; name=data.json',
        '',
        '{}',
        '--m',
        'Content-Disposition: attachment; filename=undeclared.pdf',
        'Content-Transfer-Encoding: base64',
        '',
        PDF64,
        '--m',
        'Content-Type: pdf; name=broken.pdf',
        'Content-Disposition: attachment',
        '',
        'x',
        '--m--',
      ]),
    );
    expect(attachments.map((a) => [a.filename, a.contentType, a.typeFromFilename])).toEqual([
      ['data.json', 'application/octet-stream', 'application/json'],
      ['undeclared.pdf', 'application/pdf', undefined],
      ['broken.pdf', 'application/octet-stream', 'application/pdf'],
    ]);
  });

  it('passes an unknown transfer encoding through and says so; decodes uuencoding', async () => {
    const { attachments } = await summaryOf(
      message([
        'Content-Type: multipart/mixed; boundary=m',
        '',
        '--m',
        'Content-Type: text/plain',
        '',
        'body',
        '--m',
        'Content-Type: application/octet-stream; name=odd.bin',
        'Content-Transfer-Encoding: x-gzip64',
        '',
        'H4sIAAAAAAAAA',
        '--m',
        'Content-Type: text/plain; name=cat.txt',
        'Content-Disposition: attachment',
        'Content-Transfer-Encoding: X-UUE',
        '',
        'begin 644 cat.txt',
        '#0V%T',
        '`',
        'end',
        '--m--',
      ]),
    );
    expect(attachments).toMatchObject([
      { filename: 'odd.bin', size: 'H4sIAAAAAAAAA'.length, unknownTransferEncoding: 'x-gzip64' },
      { filename: 'cat.txt', size: 3 },
    ]);
    expect(attachments[1]?.unknownTransferEncoding).toBeUndefined();
  });

  it('lists an attached message that does not read as e-mail, as not being one', async () => {
    const { attachments } = await summaryOf(
      message([
        'Content-Type: multipart/mixed; boundary=m',
        '',
        '--m',
        'Content-Type: text/plain',
        '',
        'body',
        '--m',
        'Content-Type: message/rfc822; name=outlook.msg',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]).toString('base64'),
        '--m',
        'Content-Type: message/rfc822',
        '',
        'From: b@example.com',
        'Subject: readable',
        '',
        'hello',
        '--m--',
      ]),
    );
    expect(attachments.map((a) => [a.filename, a.contentType, a.isMessage])).toEqual([
      ['outlook.msg', 'message/rfc822', false],
      ['readable.eml', 'message/rfc822', true],
    ]);
  });
});

describe('signed and encrypted messages (RFC 1847, RFC 3156, RFC 8551)', () => {
  const signed = (protocol: string, signatureType: string) =>
    message([
      `Content-Type: multipart/signed; protocol="${protocol}"; micalg=sha-256; boundary=s`,
      '',
      '--s',
      'Content-Type: multipart/mixed; boundary=m',
      '',
      '--m',
      'Content-Type: text/plain',
      '',
      'signed text',
      '--m',
      'Content-Type: application/pdf; name=a.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      PDF64,
      '--m--',
      '--s',
      `Content-Type: ${signatureType}; name=signature`,
      '',
      'SIGNATURE',
      '--s--',
    ]);

  it('says who signed how, and lists the signed attachments but never the signature', async () => {
    for (const [protocol, kind] of [
      ['application/pkcs7-signature', 'smime-signed'],
      ['application/x-pkcs7-signature', 'smime-signed'],
      ['application/pgp-signature', 'pgp-signed'],
      ['application/x-unknown-signature', 'signed'],
    ] as const) {
      const summary = await summaryOf(signed(protocol, protocol));
      expect(summary.protection, protocol).toEqual({ kind });
      expect(summary.attachments.map((a) => [a.partId, a.filename])).toEqual([['1.2', 'a.pdf']]);
    }
  });

  it('lists nothing of multipart/encrypted and says it is encrypted', async () => {
    const summary = await summaryOf(
      message([
        'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=e',
        '',
        '--e',
        'Content-Type: application/pgp-encrypted',
        '',
        'Version: 1',
        '--e',
        'Content-Type: application/octet-stream; name=encrypted.asc',
        'Content-Disposition: inline; filename=encrypted.asc',
        '',
        '-----BEGIN PGP MESSAGE-----',
        '--e--',
      ]),
    );
    expect(summary).toMatchObject({ protection: { kind: 'pgp-encrypted' }, attachments: [] });
  });

  it('names the part of a signed entity inside the message, and an opaque S/MIME part by its smime-type', async () => {
    const summary = await summaryOf(
      message([
        'Content-Type: multipart/mixed; boundary=list',
        '',
        '--list',
        ...signed('application/pkcs7-signature', 'application/pkcs7-signature').split('\r\n').slice(3, -1),
        '--list',
        'Content-Type: text/plain',
        '',
        'mailing list footer',
        '--list--',
      ]),
    );
    expect(summary.protection).toEqual({ kind: 'smime-signed', partId: '1' });
    expect(summary.attachments.map((a) => a.partId)).toEqual(['1.1.2']);
    const enveloped = await summaryOf(
      message(['Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m', '', 'MIAGCSqGSIb3DQEHA6CAMIACAQAx']),
    );
    expect(enveloped).toMatchObject({ protection: { kind: 'smime-encrypted' }, attachments: [] });
  });
});

describe('summarizeMessage on hostile input', () => {
  const cases: Array<[string, string | Buffer, 'ok' | 'refused']> = [
    ['an empty file', '', 'refused'],
    ['only blank lines', '\r\n\r\n\r\n', 'refused'],
    ['binary garbage', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a, 0x00, 0x42, 0x0d, 0x0a, 0x0d, 0x0a, 0x99]), 'refused'],
    ['a PDF', Buffer.concat([Buffer.from('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n'), PDF]), 'refused'],
    ['a text file that starts like a header', 'Note: buy milk\n\nand bread\n', 'refused'],
    ['a header with a NUL byte', 'From: a@example.com\r\nSubject: a\u0000b\r\n\r\nbody', 'refused'],
    ['a header-only message', 'From: a@example.com\r\nSubject: only headers', 'ok'],
    ['a message with an mbox From_ line', 'From a@example.com Sat Nov 21 09:42:00 2026\nFrom: a@example.com\nSubject: mbox\n\nbody\n', 'ok'],
    ['a truncated multipart', render(nestedMixed, '\r\n').slice(0, 2500), 'ok'],
    ['a multipart without a boundary parameter', 'From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n', 'ok'],
  ];

  for (const [name, content, expected] of cases) {
    it(`${expected === 'ok' ? 'summarizes' : 'refuses'} ${name}`, async () => {
      await withTempDir(async (dir) => {
        const file = path.join(dir, 'm.eml');
        await writeFile(file, content);
        const result = await summarizeOrCode(file);
        if (expected === 'ok') expectSidecarShape(result as MessageSummary);
        else expect(result).toBe('MESSAGE_UNPARSEABLE');
      });
    });
  }

  it('refuses a header block over mailsplit\u2019s 1 MiB limit', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'm.eml');
      await writeFile(file, `From: a@example.com\r\nX-Long: ${'a'.repeat(1_100_000)}\r\n\r\nbody`);
      expect(await summarizeOrCode(file)).toBe('MESSAGE_UNPARSEABLE');
    });
  });

  it('passes a missing file through as the file system error it is', async () => {
    await withTempDir(async (dir) => {
      await expect(summarizeMessage(path.join(dir, 'absent.eml'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('never fails otherwise on damaged copies of a real message', async () => {
    const original = Buffer.from(render(relatedImage, '\r\n'));
    await withTempDir(async (dir) => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: original.length }),
          fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }),
          async (cut, flips) => {
            const damaged = Buffer.from(original.subarray(0, cut));
            for (const [at, byte] of flips) if (at < damaged.length) damaged[at] = byte;
            const file = path.join(dir, 'damaged.eml');
            await writeFile(file, damaged);
            const result = await summarizeOrCode(file);
            if (typeof result === 'string') expect(result).toBe('MESSAGE_UNPARSEABLE');
            else expect(() => z.array(attachmentInfoSchema).parse(result.attachments)).not.toThrow();
          },
        ),
        { numRuns: Number(process.env.TOA_PROPERTY_RUNS ?? 60) },
      );
    });
  });

  it('never fails otherwise on random bytes', async () => {
    await withTempDir(async (dir) => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), async (bytes) => {
          const file = path.join(dir, 'random.eml');
          await writeFile(file, bytes);
          const result = await summarizeOrCode(file);
          if (typeof result === 'string') expect(result).toBe('MESSAGE_UNPARSEABLE');
        }),
        { numRuns: Number(process.env.TOA_PROPERTY_RUNS ?? 100) },
      );
    });
  });
});
