import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StandInAttachment, StandInMessage } from '../../../preview/office/stand-in';
import { corpusDir } from './paths';

/** An attachment as Outlook lists it (`Office.context.mailbox.item.attachments`). */
export type OutlookAttachment = Required<StandInAttachment>;

/** The `message` key of the Office stand-in's browser configuration (preview/office/browser.ts). */
export type OutlookMessage = Required<Omit<StandInMessage, 'emlBase64' | 'attachments' | 'dateTimeCreated' | 'itemClass' | 'conversationId' | 'to' | 'cc'>> &
  Pick<StandInMessage, 'conversationId' | 'to' | 'cc'> & {
    /** `IPM.Note` when absent */
    itemClass?: string;
    dateTimeCreated: string;
    attachments: OutlookAttachment[];
    emlBase64: string;
  };

export interface CorpusMessage {
  /** the file's bytes, exactly as Outlook's getAsFileAsync would hand them over */
  eml: Buffer;
  /** what the stub shows the pane */
  outlook: OutlookMessage;
  /** the decoded bytes of each attachment, by file name */
  attachments: Map<string, Buffer>;
}

/**
 * A message of the vendored corpus, with what Outlook would show for it. The
 * caller writes out subject and sender, as Outlook reports them; the
 * attachments are only cut out of the MIME source far enough to know their
 * bytes, so that the server's own parser is what the test checks.
 */
export function corpusMessage(relativePath: string, outlook: Omit<OutlookMessage, 'emlBase64' | 'attachments'> & { attachments: string[] }): CorpusMessage {
  const eml = readFileSync(path.join(corpusDir, relativePath));
  const attachments = new Map(outlook.attachments.map((name) => [name, base64Attachment(eml.toString('latin1'), name)]));
  return {
    eml,
    attachments,
    outlook: {
      ...outlook,
      emlBase64: eml.toString('base64'),
      attachments: [...attachments].map(([name, bytes], index) => ({
        id: `AAMkAttachment${index + 1}`,
        name,
        contentType: contentTypeOf(eml.toString('latin1'), name),
        size: bytes.length,
        isInline: false,
        attachmentType: 'file',
      })),
    },
  };
}

/** The MIME part whose headers name `filename`: its headers and its body up to the next boundary line. */
function partOf(eml: string, filename: string): { headers: string; body: string } {
  const at = eml.indexOf(`filename="${filename}"`);
  if (at < 0) throw new Error(`no attachment "${filename}" in the message`);
  const start = eml.lastIndexOf('\n--', at);
  const bodyStart = eml.slice(at).search(/\r?\n\r?\n/) + at;
  const bodyEnd = eml.indexOf('\n--', bodyStart);
  return { headers: eml.slice(start, bodyStart), body: eml.slice(bodyStart, bodyEnd) };
}

/** Decodes a base64 attachment (the corpus messages used here send their files so). */
function base64Attachment(eml: string, filename: string): Buffer {
  const { headers, body } = partOf(eml, filename);
  if (!/content-transfer-encoding:\s*base64/i.test(headers)) throw new Error(`"${filename}" is not base64-encoded`);
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

function contentTypeOf(eml: string, filename: string): string {
  return /content-type:\s*([^;\s]+)/i.exec(partOf(eml, filename).headers)?.[1] ?? 'application/octet-stream';
}

/** The PDF attachment of `pdfMessage` (a real file of the corpus, named as the sender named it). */
export const PDF = 'broken.pdf';

/**
 * A real message with one PDF attachment (`PDF`), as Outlook would show it;
 * `changes` replace what Outlook reports (item id, subject, sender, date).
 */
export function pdfMessage(changes: Partial<Omit<OutlookMessage, 'emlBase64' | 'attachments'>> = {}): CorpusMessage {
  return corpusMessage('mikel-mail/attachment_emails/attachment_pdf.eml', {
    itemId: 'AAMkItem-attachment-pdf',
    internetMessageId: '<xxxx@xxxx.com>',
    subject: 'Another PDF with 🎉 Unicode chars in it 🍿',
    from: { displayName: 'Test Tester', emailAddress: 'xxxx@xxxx.com' },
    dateTimeCreated: '2005-05-10T17:26:39.000Z',
    ...changes,
    attachments: [PDF],
  });
}

/** A real message with inline PDFs Outlook does not list as attachments (Apple Mail); `changes` as for `pdfMessage`. */
export function appleMailMessage(changes: Partial<Omit<OutlookMessage, 'emlBase64' | 'attachments'>> = {}): CorpusMessage {
  return corpusMessage('reported/08-apple-mail-inline-pdf.eml', {
    itemId: 'AAMkItem-B',
    internetMessageId: '<a4d9c31519ab.hunt@example.com>',
    subject: 'Apple Mail inline PDFs',
    from: { displayName: 'Example Sender', emailAddress: 'sender@example.com' },
    dateTimeCreated: '2025-11-04T09:15:00.000Z',
    ...changes,
    attachments: [],
  });
}

/** A real plain-text message without attachments; `changes` as for `pdfMessage`. */
export function plainMessage(changes: Partial<Omit<OutlookMessage, 'emlBase64' | 'attachments'>> = {}): CorpusMessage {
  return corpusMessage('mikel-mail/plain_emails/basic_email.eml', {
    itemId: 'AAMkItem-C',
    internetMessageId: '<6B7EC235-5B17-4CA8-B2B8-39290DEB43A3@test.lindsaar.net>',
    subject: 'Testing 123',
    from: { displayName: 'Mikel Lindsaar', emailAddress: 'test@lindsaar.net' },
    dateTimeCreated: '2008-11-22T04:04:59.000Z',
    ...changes,
    attachments: [],
  });
}
