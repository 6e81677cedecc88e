import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentInfo, Mailbox, Protection } from '@toa/api/imports';
import { isMessageType } from '@toa/api/imports';
import { PART_ID_PATTERN } from '@toa/api/ids';
import { type MimeNode, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { type AddressObject, type MailParserOptions, simpleParser } from 'mailparser';
import { lookup } from 'mime-types';
import { AppError, isAppError } from '../errors.js';
import { cleanMediaType } from '../media-type.js';
import { Base64Size } from './base64-size.js';
import { fallbackFilename, safeFilename } from './attachment-filename.js';
import { firstMailbox, messageDate, notAMessageReason } from './message-headers.js';
import { partDecoder } from './part-decoder.js';
import { partIdOf, SPLITTER_OPTIONS } from './part-numbering.js';
import { isProtectionPart, protectionOf } from './protection.js';

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
  /** the first signed or encrypted entity: the message is then never rewritten */
  protection?: Protection;
  /** every MIME attachment, in message order */
  attachments: ListedAttachment[];
}

/** Only headers are parsed with mailparser: its decoding of addresses and encoded words. */
const HEADER_PARSER_OPTIONS: MailParserOptions = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true };

/** How much of an attached message is kept to tell whether it reads as e-mail, and to name it after its subject. */
const EMBEDDED_HEAD_BYTES = 64 * 1024;

/** How much HTML body is kept to find the parts it refers to; a reference beyond it is not seen (the part counts as attached). */
const HTML_SEARCH_BYTES = 8 * 1024 * 1024;

/** Leaf types that are message text unless they say `attachment` (mailparser's rule). */
const BODY_TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/html', 'message/delivery-status']);

/** A leaf part as the listing pass found it, before the references from the HTML are known. */
interface Candidate {
  node: MimeNode;
  partId: string;
  size: number;
  head: Buffer[];
  headLength: number;
  unknownEncoding?: string;
}

/**
 * Reads an EML file (streamed, never whole in memory) and lists what the
 * sidecar needs. It runs inside a mail worker (mail-worker-pool.ts); the
 * rest of the server calls `summarizeMessage`, which hands it there.
 *
 * The same mailsplit pass as the cutter's (same options, so the same part
 * ids and the same decoders, see part-decoder.ts), so sizes listed are the
 * sizes extracted. What is listed (SPEC §3.4, RFC 2046, RFC 2183, RFC 2387):
 *
 * - every leaf part that is not message text: text/plain, text/html and
 *   delivery reports count as text unless they say `attachment`;
 * - not the alternatives of a body (a child of `multipart/alternative`, such as
 *   a `text/calendar` invitation, unless it says `attachment`): taking one out
 *   would change what the message is;
 * - not the signature of `multipart/signed`, nor the parts of
 *   `multipart/encrypted`: they are evidence about the message, not documents
 *   (the message keeps them, see `protection`);
 * - not the body of a single-part message (a message that is just a PDF): it
 *   has no part id, and the EML itself is the document.
 *
 * A listed part is `inline` only when the HTML body refers to it (`cid:` or
 * its Content-Location) or it is an image inside `multipart/related`;
 * whatever its Content-Disposition says otherwise (Apple Mail sends PDFs
 * `inline`), it is an attachment.
 *
 * Throws AppError('MESSAGE_UNPARSEABLE') when the bytes are not an e-mail
 * message at all (see `notAMessageReason`) or mailsplit gives up (a header
 * block over 1 MiB, more than 1000 parts). File system errors pass through.
 */
export async function readSummary(file: string): Promise<MessageSummary> {
  const handle = await open(file, 'r');
  return readSummaryFrom(handle.createReadStream());
}

/** `readSummary` of the message bytes `source` gives (a file as it is being written: FollowedFile). */
export async function readSummaryFrom(source: NodeJS.ReadableStream): Promise<MessageSummary> {
  const lister = new PartLister();
  try {
    await pipeline(source, new Splitter(SPLITTER_OPTIONS), lister);
  } catch (error) {
    throw asParseError(error);
  }
  return lister.summary();
}

/** Consumes the splitter's chunks: the root's headers, the candidates' decoded sizes, the HTML bodies. */
class PartLister extends Writable {
  private rootHeaders: Buffer | undefined;
  private protection: Protection | undefined;
  private readonly candidates: Candidate[] = [];
  private readonly html: Buffer[] = [];
  private htmlLength = 0;
  private current: { node: MimeNode; decoder: Writable } | undefined;
  private readonly decoding: Promise<void>[] = [];

  constructor() {
    super({ objectMode: true });
  }

  override _write(chunk: SplitterChunk, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.type === 'body' && this.current?.node === chunk.node) {
      if (this.current.decoder.write(chunk.value)) callback();
      else this.current.decoder.once('drain', () => callback());
      return;
    }
    this.endCurrent();
    if (chunk.type !== 'node') {
      callback();
      return;
    }
    if (this.rootHeaders === undefined) {
      const lines = chunk.headers ? chunk.headers.getList() : [];
      // refuse before streaming through what may be megabytes of something else
      const reason = notAMessageReason(lines);
      if (reason !== undefined) {
        callback(new AppError('MESSAGE_UNPARSEABLE', `The file is not an e-mail message: ${reason}.`));
        return;
      }
      this.rootHeaders = chunk.getHeaders();
    }
    this.protection ??= protectionOf(chunk);
    this.startPart(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.endCurrent();
    if (this.rootHeaders === undefined) {
      callback(new AppError('MESSAGE_UNPARSEABLE', 'The file is not an e-mail message: it has no header block.'));
      return;
    }
    Promise.all(this.decoding).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.current?.decoder.destroy(error ?? undefined);
    callback(error);
  }

  private endCurrent(): void {
    this.current?.decoder.end();
    this.current = undefined;
  }

  /** Starts decoding a leaf that is listed or is HTML body text; everything else is only passed over. */
  private startPart(node: MimeNode): void {
    if (node.multipart) return;
    const partId = partIdOf(node);
    const role = roleOf(node);
    if (role === 'html') {
      this.decode(node, (chunk) => {
        if (this.htmlLength >= HTML_SEARCH_BYTES) return;
        this.html.push(chunk);
        this.htmlLength += chunk.length;
      });
      return;
    }
    // see readSummary on the message's own body; a part nested deeper than a part id may express cannot be named
    if (role !== 'attachment' || partId === undefined || !PART_ID_PATTERN.test(partId)) return;
    const candidate: Candidate = { node, partId, size: 0, head: [], headLength: 0 };
    const keepHead = isMessageType(declaredType(node));
    if (!keepHead && node.encoding === 'base64') {
      // the size is all the sidecar needs of these bytes, and base64 tells it without decoding
      const sizer = new Base64Size(() => partDecoder(node).decoder);
      this.follow(
        node,
        sizer,
        new Promise<void>((resolve, reject) => {
          sizer.once('finish', () => {
            candidate.size = sizer.size;
            resolve();
          });
          sizer.once('error', reject);
        }),
      );
      this.candidates.push(candidate);
      return;
    }
    const { unknownEncoding } = this.decode(node, (chunk) => {
      candidate.size += chunk.length;
      if (keepHead && candidate.headLength < EMBEDDED_HEAD_BYTES) {
        candidate.head.push(chunk);
        candidate.headLength += chunk.length;
      }
    });
    if (unknownEncoding !== undefined) candidate.unknownEncoding = unknownEncoding;
    this.candidates.push(candidate);
  }

  private decode(node: MimeNode, onData: (chunk: Buffer) => void): { unknownEncoding?: string } {
    const { decoder, unknownEncoding } = partDecoder(node);
    decoder.on('data', onData);
    const done = new Promise<void>((resolve, reject) => {
      decoder.once('end', resolve);
      decoder.once('error', reject);
    });
    this.follow(node, decoder, done);
    return unknownEncoding === undefined ? {} : { unknownEncoding };
  }

  /** Makes `sink` the writer of `node`'s body chunks; `done` settles once it has taken the last of them. */
  private follow(node: MimeNode, sink: Writable, done: Promise<void>): void {
    done.catch((error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))));
    this.decoding.push(done);
    this.current = { node, decoder: sink };
  }

  async summary(): Promise<MessageSummary> {
    const parsed = await simpleParser(this.rootHeaders ?? Buffer.alloc(0), HEADER_PARSER_OPTIONS);
    const summary: MessageSummary = { attachments: [] };
    const from = firstMailbox(parsed.from as AddressObject | undefined);
    const date = messageDate(parsed.headerLines);
    if (from !== undefined) summary.from = from;
    if (parsed.subject) summary.subject = parsed.subject;
    if (date !== undefined) summary.date = date;
    if (parsed.messageId) summary.messageId = parsed.messageId;
    if (this.protection !== undefined) summary.protection = this.protection;
    const html = Buffer.concat(this.html).toString('latin1');
    for (const candidate of this.candidates) summary.attachments.push(await describe(candidate, html));
    return summary;
  }
}

type Role = 'attachment' | 'html' | 'text' | 'alternative' | 'protection';

/** What a leaf part is to the message; see readSummary. */
function roleOf(node: MimeNode): Role {
  if (isProtectionPart(node)) return 'protection';
  const type = node.contentType || 'text/plain';
  // RFC 2183 §2.8: an unknown disposition is treated as `attachment`
  const disposition = node.disposition && node.disposition !== 'inline' ? 'attachment' : node.disposition;
  if (disposition === 'attachment') return 'attachment';
  if (BODY_TEXT_TYPES.has(type)) return type === 'text/html' ? 'html' : 'text';
  if (node.parentNode && node.parentNode.multipart === 'alternative') return 'alternative';
  return 'attachment';
}

/**
 * The part's declared Content-Type, lowercase, without parameters. A part
 * that declares none gets what mailsplit infers (its filename's type, else
 * `application/octet-stream` for an attachment, else `text/plain`, the RFC
 * 2045 default); one that declares something that is no usable
 * type/subtype, `application/octet-stream` (cleanMediaType).
 */
function declaredType(node: MimeNode): string {
  return cleanMediaType(node.contentType);
}

async function describe(candidate: Candidate, html: string): Promise<ListedAttachment> {
  const { node, partId } = candidate;
  const contentType = declaredType(node);
  const declaresMessage = isMessageType(contentType);
  const head = declaresMessage ? await embeddedHead(Buffer.concat(candidate.head)) : undefined;
  const filename = safeFilename(node.filename || undefined);
  const info: ListedAttachment = {
    partId,
    filename: filename ?? fallbackFilename({ partId, contentType, isMessage: declaresMessage, subject: head?.subject }),
    contentType,
    size: candidate.size,
    inline: false,
    // an attached "message" that does not read as one is extracted as a plain page
    isMessage: declaresMessage && head?.readable === true,
  };
  const guessed = lookup(info.filename);
  if (guessed !== false && guessed !== contentType) info.typeFromFilename = guessed;
  const contentId = node.headers ? node.headers.getFirst('content-id').replace(/^<|>$/g, '').trim() : '';
  if (contentId !== '') info.contentId = contentId;
  const location = node.headers ? node.headers.getFirst('content-location') : '';
  info.inline = referencedFrom(html, contentId, location) || (contentType.startsWith('image/') && insideRelated(node));
  if (candidate.unknownEncoding !== undefined) info.unknownTransferEncoding = candidate.unknownEncoding;
  return info;
}

/** Whether the HTML refers to the part by `cid:` (RFC 2392, also %-encoded) or by its Content-Location (RFC 2557). */
function referencedFrom(html: string, contentId: string, location: string): boolean {
  if (html === '') return false;
  if (contentId !== '') {
    const lower = html.toLowerCase();
    if (lower.includes(`cid:${contentId.toLowerCase()}`) || lower.includes(`cid:${encodeURI(contentId).toLowerCase()}`)) return true;
  }
  return location !== '' && html.includes(location);
}

function insideRelated(node: MimeNode): boolean {
  for (let parent = node.parentNode; parent; parent = parent.parentNode) if (parent.multipart === 'related') return true;
  return false;
}

/** Whether the start of an attached message reads as e-mail, and its subject. */
async function embeddedHead(head: Buffer): Promise<{ readable: boolean; subject?: string }> {
  try {
    const parsed = await simpleParser(head, HEADER_PARSER_OPTIONS);
    const readable = notAMessageReason(parsed.headerLines) === undefined;
    return parsed.subject ? { readable, subject: parsed.subject } : { readable };
  } catch {
    return { readable: false };
  }
}

/** Parser failures become MESSAGE_UNPARSEABLE; our own errors and system errors (they carry a syscall) pass through. */
function asParseError(error: unknown): unknown {
  if (isAppError(error)) return error;
  if (typeof error === 'object' && error !== null && 'syscall' in error) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('MESSAGE_UNPARSEABLE', `The message cannot be parsed: ${detail}`, { cause: error });
}
