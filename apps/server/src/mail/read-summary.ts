import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentInfo, Mailbox } from '@toa/api/imports';
import { PART_ID_PATTERN } from '@toa/api/ids';
import { type AddressObject, type AttachmentStream, type HeaderLines, type Headers, MailParser, type MailParserOptions, simpleParser } from 'mailparser';
import { AppError, isAppError } from '../errors.js';
import { cleanMediaType } from '../media-type.js';
import { fallbackFilename, safeFilename } from './attachment-filename.js';
import { firstMailbox, messageDate, notAMessageReason, stringHeader } from './message-headers.js';
import { SPLITTER_OPTIONS } from './part-numbering.js';

/** An attachment as listed: it always has a filename, its own or a generated one. */
export type ListedAttachment = AttachmentInfo & { filename: string };

export interface MessageSummary {
  /** first From mailbox, decoded */
  from?: Mailbox;
  /** decoded */
  subject?: string;
  /** ISO 8601 with the sender's offset, only when the Date header parses */
  date?: string;
  messageId?: string;
  /** every MIME attachment, in message order */
  attachments: ListedAttachment[];
}

/** Everything mailparser would compute beyond structure and headers is skipped: only the listing is needed. */
const PARSER_OPTIONS: MailParserOptions = {
  ...SPLITTER_OPTIONS,
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
};

/** How much of an attached message without a filename is kept to name it after its subject. */
const EMBEDDED_HEAD_BYTES = 64 * 1024;

/**
 * Reads an EML file (streamed, never whole in memory) and lists what the
 * sidecar needs. It runs inside a mail worker (mail-worker-pool.ts); the
 * rest of the server calls `summarizeMessage`, which hands it there.
 * Throws AppError('MESSAGE_UNPARSEABLE') when the bytes are not
 * an e-mail message at all (see `notAMessageReason`) or the parser gives up
 * (mailsplit's limits: a header block over 1 MiB, more than 1000 parts).
 * File system errors are not the message's fault and pass through as they are.
 *
 * The body of a single-part message is not listed even when mailparser calls
 * it an attachment (a message that is just a PDF): it has no part id, and
 * taking it out would leave a message without a body, so there is nothing to
 * extract; the EML itself is the document.
 */
export async function readSummary(file: string): Promise<MessageSummary> {
  const handle = await open(file, 'r');
  return summarizeStream(handle.createReadStream());
}

async function summarizeStream(input: Readable): Promise<MessageSummary> {
  const parser = new MailParser(PARSER_OPTIONS);
  let headers: Headers = new Map();
  let headerLines: HeaderLines = [];
  parser.on('headers', (value: Headers) => {
    headers = value;
  });
  parser.on('headerLines', (value: HeaderLines) => {
    headerLines = value;
    // refuse before streaming through what may be megabytes of something else
    const reason = notAMessageReason(value);
    if (reason !== undefined) parser.destroy(new AppError('MESSAGE_UNPARSEABLE', `The file is not an e-mail message: ${reason}.`));
  });

  const attachments: ListedAttachment[] = [];
  try {
    await pipeline(input, parser, async (items: AsyncIterable<AttachmentStream | { type: 'text' }>) => {
      for await (const item of items) {
        if (item.type !== 'attachment') continue;
        const info = await describeAttachment(item);
        if (info !== undefined) attachments.push(info);
      }
    });
  } catch (error) {
    throw asParseError(error);
  }

  const reason = notAMessageReason(headerLines);
  if (reason !== undefined) throw new AppError('MESSAGE_UNPARSEABLE', `The file is not an e-mail message: ${reason}.`);

  const summary: MessageSummary = { attachments };
  const from = firstMailbox(headers.get('from') as AddressObject | undefined);
  const subject = stringHeader(headers, 'subject');
  const date = messageDate(headerLines);
  const messageId = stringHeader(headers, 'message-id');
  if (from !== undefined) summary.from = from;
  if (subject !== undefined) summary.subject = subject;
  if (date !== undefined) summary.date = date;
  if (messageId !== undefined) summary.messageId = messageId;
  return summary;
}

/** Reads one attachment's decoded content to the end (mailparser waits for that) and describes it. */
async function describeAttachment(attachment: AttachmentStream): Promise<ListedAttachment | undefined> {
  // a damaged Content-Type header can reach us as something else than a type/subtype string
  const contentType = cleanMediaType(attachment.contentType);
  const isMessage = contentType === 'message/rfc822';
  const filename = safeFilename(attachment.filename);
  const keepHead = isMessage && filename === undefined;
  const head: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  for await (const chunk of attachment.content as Readable) {
    size += chunk.length;
    if (keepHead && headLength < EMBEDDED_HEAD_BYTES) {
      head.push(chunk);
      headLength += chunk.length;
    }
  }
  attachment.release();

  const partId = attachment.partId;
  // See readSummary on the message's own body; a part nested deeper than
  // a part id may express cannot be named, so it cannot be extracted either.
  if (partId === undefined || partId === null || !PART_ID_PATTERN.test(partId)) return undefined;

  const info: ListedAttachment = {
    partId,
    filename: filename ?? fallbackFilename({ partId, contentType, isMessage, subject: keepHead ? await embeddedSubject(Buffer.concat(head)) : undefined }),
    contentType,
    size,
    // referenced from the body by its Content-ID: an image of an HTML body,
    // not something the sender attached
    inline: attachment.cid !== undefined && (attachment.related === true || attachment.contentDisposition === 'inline'),
    isMessage,
  };
  if (typeof attachment.cid === 'string' && attachment.cid !== '') info.contentId = attachment.cid;
  return info;
}

/** The subject of an attached message, from the start of its bytes. */
async function embeddedSubject(head: Buffer): Promise<string | undefined> {
  try {
    return (await simpleParser(head, PARSER_OPTIONS)).subject || undefined;
  } catch {
    return undefined; // only a name is at stake
  }
}

/** Parser failures become MESSAGE_UNPARSEABLE; our own errors and system errors (they carry a syscall) pass through. */
function asParseError(error: unknown): unknown {
  if (isAppError(error)) return error;
  if (typeof error === 'object' && error !== null && 'syscall' in error) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('MESSAGE_UNPARSEABLE', `The message cannot be parsed: ${detail}`, { cause: error });
}
