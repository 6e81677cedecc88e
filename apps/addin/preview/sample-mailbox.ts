import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { corpusDir } from '@toa/fixtures';
import { readSummary } from '@toa/server/dist/mail/read-summary.js';
import { simpleParser } from 'mailparser';
import type { StandInMessage, StandInUser } from './office/stand-in';

/**
 * The preview's sample mailbox: a handful of corpus messages with
 * attachments that parse cleanly, each shown with the facts Outlook would
 * give the pane. Their attachments are listed by the server's own parser, so
 * the names the pane sees are the names it will find after the upload.
 */
export const SAMPLE_FILES = [
  'mikel-mail/attachment_emails/attachment_pdf.eml',
  'reported/08-apple-mail-inline-pdf.eml',
  'mikel-mail/mime_emails/raw_email_with_nested_attachment.eml',
  'mikel-mail/attachment_emails/attachment_with_quoted_filename.eml',
  'mikel-mail/attachment_emails/attachment_message_rfc822.eml',
] as const;

/** The signed-in user the preview shows (the embedded default accepts any address). */
export const SAMPLE_USER: StandInUser = { displayName: 'Sam Preview', emailAddress: 'sam@example.com' };

/** A message of the sample mailbox: what the stand-in shows, where its bytes are, and the start of its text. */
export interface SampleMessage extends Omit<StandInMessage, 'emlBase64'> {
  /** the EML, relative to mailbox.json */
  file: string;
  /** the first lines of the plain-text body, for the reading pane */
  text: string;
}

export interface SampleMailbox {
  user: StandInUser;
  messages: SampleMessage[];
}

const TEXT_PREVIEW_CHARS = 600;

/**
 * An Outlook-like conversation id: the same for every message of a thread,
 * taken from the thread's first message id (the first of `References`, else
 * `In-Reply-To`, else the message's own id, RFC 5322 §3.6.4).
 */
function conversationIdOf(parsed: { messageId?: string; inReplyTo?: string; references?: string | string[] }): string | undefined {
  const references = [parsed.references ?? []].flat();
  const root = references[0] ?? parsed.inReplyTo ?? parsed.messageId;
  return root ? `sample-conversation-${createHash('sha256').update(root).digest('hex').slice(0, 16)}` : undefined;
}

/** Reads the sample messages from the corpus: the mailbox description and each file's bytes by its output name. */
export async function buildSampleMailbox(): Promise<{ mailbox: SampleMailbox; files: Map<string, Buffer> }> {
  const files = new Map<string, Buffer>();
  const messages: SampleMessage[] = [];
  for (const [index, relative] of SAMPLE_FILES.entries()) {
    const source = path.join(corpusDir, relative);
    const bytes = await readFile(source);
    const summary = await readSummary(source);
    const parsed = await simpleParser(bytes);
    const n = index + 1;
    const file = `message-${n}.eml`;
    const conversationId = conversationIdOf(parsed);
    files.set(file, bytes);
    messages.push({
      itemId: `sample-item-${n}`,
      ...(summary.messageId ? { internetMessageId: summary.messageId } : {}),
      subject: summary.subject ?? '',
      from: { displayName: summary.from?.name ?? '', emailAddress: summary.from?.address ?? '' },
      ...(summary.date ? { dateTimeCreated: new Date(summary.date).toISOString() } : {}),
      ...(conversationId ? { conversationId } : {}),
      attachments: summary.attachments.map((attachment, i) => ({
        id: `sample-attachment-${n}-${i + 1}`,
        name: attachment.filename,
        contentType: attachment.contentType,
        size: attachment.size,
        isInline: attachment.inline,
        attachmentType: attachment.isMessage ? 'item' : 'file',
      })),
      file,
      text: (parsed.text ?? '').trim().slice(0, TEXT_PREVIEW_CHARS),
    });
  }
  return { mailbox: { user: SAMPLE_USER, messages }, files };
}
