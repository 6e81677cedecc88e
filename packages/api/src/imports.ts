import { z } from './zod.js';
import { importIdSchema, partIdSchema } from './ids.js';
import { attributeValueSchema } from './templates.js';

/**
 * 2: `source` may carry the message's `conversationId` and its `to` and `cc`
 * addresses (what filing suggestions learn from). An `import.json` of version 1
 * still reads as it is; it is written as 2 when it is next changed.
 */
export const IMPORT_SCHEMA_VERSION = 2;
/**
 * 2: attachments carry the declared content type (`typeFromFilename` beside it) and
 * `unknownTransferEncoding`; the sidecar says `protection`. A sidecar of an earlier
 * version still reads, and the server rebuilds it as stale.
 */
export const SIDECAR_SCHEMA_VERSION = 2;

const isoDateTime = z.iso.datetime({ offset: true });
const sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/));

export const IMPORT_STATUSES = ['DRAFT', 'PENDING', 'SUBMITTED', 'FAILED'] as const;
export const importStatusSchema = z.enum(IMPORT_STATUSES);
export type ImportStatus = z.infer<typeof importStatusSchema>;

/** Statuses in which an import may still be changed. */
export const EDITABLE_STATUSES: readonly ImportStatus[] = ['DRAFT', 'FAILED'];

/** What the task pane knows of the original message; used to warn about duplicates. */
export const sourceSchema = z.object({
  internetMessageId: z.optional(z.string().check(z.minLength(1), z.maxLength(998))),
  subject: z.optional(z.string().check(z.maxLength(2000))),
  from: z.optional(z.string().check(z.maxLength(1000))),
  receivedAt: z.optional(isoDateTime),
  /** Outlook's conversation id (Office.js `item.conversationId`, Mailbox 1.1): the thread the message belongs to */
  conversationId: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  /** the addresses of the To and Cc recipients (RFC 5322 §3.6.3), as Outlook lists them */
  to: z.optional(z.array(z.string().check(z.maxLength(998))).check(z.maxLength(500))),
  cc: z.optional(z.array(z.string().check(z.maxLength(998))).check(z.maxLength(500))),
});
export type Source = z.infer<typeof sourceSchema>;

export const mailboxSchema = z.object({
  name: z.optional(z.string()),
  address: z.optional(z.string()),
});
export type Mailbox = z.infer<typeof mailboxSchema>;

/** One MIME attachment of an EML page, as listed in its sidecar. */
export const attachmentInfoSchema = z.object({
  /** stable within one version of the EML; what `extract` takes */
  partId: partIdSchema,
  filename: z.optional(z.string()),
  /**
   * the part's declared Content-Type, lowercase, without parameters (RFC 2045 §5.2:
   * `text/plain` when it declares none, `message/rfc822` inside `multipart/digest`;
   * `application/octet-stream` when what it declares is not a type/subtype)
   */
  contentType: z.string(),
  /** the type the filename's extension suggests, only where it differs from `contentType`; never used instead of it */
  typeFromFilename: z.optional(z.string()),
  /** decoded size in bytes (base64, quoted-printable, uuencode); the size as sent when the encoding is unknown */
  size: z.int().check(z.nonnegative()),
  /** referenced from the HTML body (`cid:` or Content-Location), or an image inside `multipart/related` */
  inline: z.boolean(),
  contentId: z.optional(z.string()),
  /** an attached `message/rfc822` that reads as an e-mail message (it is extracted as an EML page with a sidecar) */
  isMessage: z.boolean(),
  /** a Content-Transfer-Encoding TOA does not know: the part's bytes are passed through as sent, undecoded */
  unknownTransferEncoding: z.optional(z.string()),
});
export type AttachmentInfo = z.infer<typeof attachmentInfoSchema>;

/**
 * Media types of the signature part of `multipart/signed` (RFC 8551 §3.5, RFC 3156 §5):
 * evidence kept with the message, never listed or extracted as a document of its own.
 */
export const SIGNATURE_TYPES: readonly string[] = ['application/pkcs7-signature', 'application/x-pkcs7-signature', 'application/pgp-signature'];

export const PROTECTION_KINDS = ['smime-signed', 'smime-encrypted', 'pgp-signed', 'pgp-encrypted', 'signed', 'encrypted'] as const;

/**
 * A signed or encrypted entity in the message (RFC 1847 `multipart/signed` and
 * `multipart/encrypted`, RFC 8551 `application/pkcs7-mime`, RFC 3156 PGP/MIME):
 * the message is evidence and is never rewritten; attachments are copied out.
 * `signed` and `encrypted` are RFC 1847 entities of another protocol.
 */
export const protectionSchema = z.object({
  kind: z.enum(PROTECTION_KINDS),
  /** the protected entity's part id; absent when it is the message itself */
  partId: z.optional(partIdSchema),
});
export type Protection = z.infer<typeof protectionSchema>;

/** `page-M.meta.json`: a cache of what the EML says, bound to the `.bin` by size and hash. */
export const sidecarSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(SIDECAR_SCHEMA_VERSION)]),
  size: z.int().check(z.nonnegative()),
  sha256,
  from: z.optional(mailboxSchema),
  subject: z.optional(z.string()),
  date: z.optional(isoDateTime),
  messageId: z.optional(z.string()),
  /** the first signed or encrypted entity, in message order; absent for a message that has none */
  protection: z.optional(protectionSchema),
  attachments: z.array(attachmentInfoSchema),
});
export type Sidecar = z.infer<typeof sidecarSchema>;

/** The media type of an e-mail message (RFC 5322 bytes), as pages, parts and uploads declare it. */
export const MESSAGE_CONTENT_TYPE = 'message/rfc822';

/** Whether a content type (any case, parameters allowed) is `message/rfc822`: the one test of it everywhere. */
export function isMessageType(contentType: string): boolean {
  return contentType.split(';')[0]?.trim().toLowerCase() === MESSAGE_CONTENT_TYPE;
}

export const pageSchema = z.object({
  m: z.int().check(z.positive()),
  filename: z.string(),
  size: z.int().check(z.nonnegative()),
  contentType: z.string(),
  sha256,
  /** sidecar file name, `message/rfc822` pages only */
  sidecar: z.optional(z.string()),
  /** for pages of an extracted document: the MIME part it was */
  partId: z.optional(partIdSchema),
});
export type Page = z.infer<typeof pageSchema>;

/** Where a sibling document came from. */
export const originSchema = z.object({
  document: z.int().check(z.positive()),
  page: z.int().check(z.positive()),
  partIds: z.array(partIdSchema).check(z.minLength(1)),
});
export type Origin = z.infer<typeof originSchema>;

export const attributesSchema = z.record(z.string(), attributeValueSchema);
export type Attributes = z.infer<typeof attributesSchema>;

export const documentSchema = z.object({
  n: z.int().check(z.positive()),
  templateId: z.nullable(z.string()),
  attributes: attributesSchema,
  origin: z.optional(originSchema),
  pages: z.array(pageSchema),
});
export type Document = z.infer<typeof documentSchema>;

export const attemptSchema = z.object({
  startedAt: isoDateTime,
  finishedAt: z.optional(isoDateTime),
  outcome: z.enum(['SUBMITTED', 'FAILED']),
  damisBatchId: z.optional(z.string()),
  error: z.optional(z.string()),
  /**
   * The key the archive got: the import id plus a digest of the content sent,
   * so two attempts with one key sent the same content. Absent from attempts
   * recorded before it was (an optional field: `schemaVersion` stays 1).
   */
  idempotencyKey: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});
export type Attempt = z.infer<typeof attemptSchema>;

/** `import.json`: the single source of truth for an import. */
export const importSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(IMPORT_SCHEMA_VERSION)]),
  id: importIdSchema,
  domain: z.string(),
  status: importStatusSchema,
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  /** owner key (e-mail in dev mode, tenant + object id with tokens) */
  userId: z.string(),
  userName: z.string(),
  userEmail: z.string(),
  source: sourceSchema,
  documents: z.array(documentSchema).check(z.minLength(1)),
  error: z.optional(z.string()),
  damisBatchId: z.optional(z.string()),
  attempts: z.array(attemptSchema),
});
export type Import = z.infer<typeof importSchema>;

/** One line of `GET /api/import/:domain`. */
export const importSummarySchema = z.extend(
  z.pick(importSchema, { id: true, domain: true, status: true, createdAt: true, updatedAt: true, source: true, error: true, damisBatchId: true }),
  { documentCount: z.int(), pageCount: z.int() },
);
export type ImportSummary = z.infer<typeof importSummarySchema>;

export const listImportsQuerySchema = z.object({
  messageId: z.optional(z.string().check(z.minLength(1), z.maxLength(998))),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(200)), 20),
  offset: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 0),
});
export type ListImportsQuery = z.infer<typeof listImportsQuerySchema>;

export const listImportsResponseSchema = z.object({
  items: z.array(importSummarySchema),
  total: z.int(),
  limit: z.int(),
  offset: z.int(),
});
export type ListImportsResponse = z.infer<typeof listImportsResponseSchema>;

/** `POST /api/import/:domain` */
export const createImportRequestSchema = z.strictObject({ source: z._default(sourceSchema, {}) });
export type CreateImportRequest = z.input<typeof createImportRequestSchema>;

/** `PUT /api/import/:domain/:id/documents/:n` */
export const updateDocumentRequestSchema = z.strictObject({
  templateId: z.string().check(z.minLength(1), z.maxLength(64)),
  attributes: z._default(attributesSchema, {}),
});
export type UpdateDocumentRequest = z.input<typeof updateDocumentRequestSchema>;

/** `POST …/pages/:m/extract`; no list = every attachment that is not inline. */
export const extractRequestSchema = z.strictObject({ attachments: z.optional(z.array(partIdSchema).check(z.minLength(1), z.maxLength(1000))) });
export type ExtractRequest = z.infer<typeof extractRequestSchema>;

/** 201 answer to a page upload: the page, plus the sidecar for an EML. */
export const addPageResponseSchema = z.extend(pageSchema, { meta: z.optional(sidecarSchema) });
export type AddPageResponse = z.infer<typeof addPageResponseSchema>;
