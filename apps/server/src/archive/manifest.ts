import { createHash } from 'node:crypto';
import path from 'node:path';
import { IMPORT_ID_PATTERN, importIdSchema } from '@toa/api/ids';
import { attemptSchema, documentSchema, importSchema, isMessageType, pageSchema, sourceSchema } from '@toa/api/imports';
import { z } from '@toa/api/zod';
import { type ArchiveBatch, ArchiveError, type ArchivePage } from './archive-client.js';

/**
 * The manifest describes a batch the same way for both clients; only `file`
 * changes meaning: a path inside the batch folder (filesystem) or the name of
 * the multipart part holding the bytes (http). Both are `doc-N/page-M.ext`.
 * Its shapes are the import's own (`@toa/api/imports`), as far as they go.
 */
const pageEntrySchema = z.extend(z.pick(pageSchema, { m: true, filename: true, contentType: true, size: true, sha256: true }), {
  file: z.string().check(z.minLength(1)),
});

const documentEntrySchema = z.extend(z.pick(documentSchema, { n: true, attributes: true }), {
  /** a submitted document always has one */
  templateId: z.string(),
  pages: z.array(pageEntrySchema),
});

const manifestSchema = z.object({
  manifestVersion: z.literal(1),
  importId: importIdSchema,
  /** absent from batches published before keys named the content */
  idempotencyKey: attemptSchema.shape.idempotencyKey,
  domain: importSchema.shape.domain,
  submittedAt: z.string(),
  submitter: z.object({ userId: importSchema.shape.userId, name: importSchema.shape.userName, email: importSchema.shape.userEmail }),
  source: sourceSchema,
  documents: z.array(documentEntrySchema),
});
export type BatchManifest = z.infer<typeof manifestSchema>;

/** `manifest.json` of a published filesystem batch. */
export const publishedManifestSchema = z.extend(manifestSchema, { batchId: z.string().check(z.minLength(1)) });
export type PublishedManifest = z.infer<typeof publishedManifestSchema>;

/** The `manifest` field of an http upload. */
export const uploadManifestSchema = z.extend(manifestSchema, { targetDomain: z.string().check(z.minLength(1)) });
export type UploadManifest = z.infer<typeof uploadManifestSchema>;

const SAFE_EXTENSION = /^\.[a-z0-9]{1,10}$/;

/**
 * Readable name of a page's bytes in the batch: the extension comes from the
 * original filename when it is tame, so an operator browsing the archive can
 * open the files; the filename itself stays in the manifest only, because it
 * may hold anything a mail client allows.
 */
export function pageFile(n: number, page: Pick<ArchivePage, 'm' | 'filename' | 'contentType'>): string {
  const fromName = path.posix.extname(page.filename.replaceAll('\\', '/')).toLowerCase();
  const extension = SAFE_EXTENSION.test(fromName) ? fromName : isMessageType(page.contentType) ? '.eml' : '.bin';
  return `doc-${n}/page-${page.m}${extension}`;
}

export function buildManifest(batch: ArchiveBatch): BatchManifest {
  return { ...manifestContent(batch), idempotencyKey: batch.idempotencyKey, submittedAt: batch.submittedAt };
}

/** What a manifest says of the import, leaving out when and under which key it was sent. */
type ManifestContent = Pick<BatchManifest, 'manifestVersion' | 'importId' | 'domain' | 'submitter' | 'source' | 'documents'>;

function manifestContent(batch: Omit<ArchiveBatch, 'idempotencyKey' | 'submittedAt'>): ManifestContent {
  return {
    manifestVersion: 1,
    importId: batch.importId,
    domain: batch.domain,
    submitter: batch.submitter,
    source: batch.source,
    documents: batch.documents.map((document) => ({
      n: document.n,
      templateId: document.templateId,
      attributes: document.attributes,
      pages: document.pages.map((page) => ({
        m: page.m,
        filename: page.filename,
        contentType: page.contentType,
        size: page.size,
        sha256: page.sha256,
        file: pageFile(document.n, page),
      })),
    })),
  };
}

/** `<import id>.<16 hex digits>`: the import, then the digest of its content. */
export const IDEMPOTENCY_KEY_PATTERN = /^(\d{4}-\d{2}-\d{2}_\d{4}-[0-9a-f]{8})\.[0-9a-f]{16}$/;
const KEY_DIGEST_LENGTH = 16;

/**
 * SHA-256 (hex) of a manifest's content as canonical JSON (keys sorted at
 * every level), so that equal content gives an equal digest whatever the
 * order attributes were entered in. `submittedAt` and the key are left out:
 * they change between attempts of the same content.
 */
export function contentDigest(manifest: ManifestContent): string {
  const { manifestVersion, importId, domain, submitter, source, documents } = manifest;
  return createHash('sha256').update(canonicalJson({ manifestVersion, importId, domain, submitter, source, documents })).digest('hex');
}

/**
 * The idempotency key of a batch: the import id plus the first 16 hex digits
 * of its content digest. Any edit (attribute values, templates, pages added,
 * removed or rewritten, documents extracted or removed) gives a new key;
 * submitting unchanged content again, or resuming it after a crash, gives the
 * same one (docs/adr/0010-idempotency-key-names-the-content.md).
 */
export function contentKey(batch: Omit<ArchiveBatch, 'idempotencyKey' | 'submittedAt'>): string {
  return `${batch.importId}.${contentDigest(manifestContent(batch)).slice(0, KEY_DIGEST_LENGTH)}`;
}

/** JSON with object keys sorted; `undefined` members are left out, as JSON.stringify does. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Guards what ends up in file and part names: the import id, and document and
 * page numbers that are positive and unique. A failure here is a bug in the
 * caller, never something a retry fixes.
 */
export function assertValidBatch(batch: ArchiveBatch, domain: string): void {
  const problem = batchProblem(batch, domain);
  if (problem) throw new ArchiveError(`The import cannot be archived: ${problem}.`, false);
}

function batchProblem(batch: ArchiveBatch, domain: string): string | undefined {
  if (!IMPORT_ID_PATTERN.test(batch.importId)) return 'its id is not valid';
  if (batch.domain !== domain) return `it belongs to domain "${batch.domain}", not "${domain}"`;
  const documents = new Set<number>();
  for (const document of batch.documents) {
    if (!isOrdinal(document.n) || documents.has(document.n)) return `document number ${document.n} is not valid`;
    documents.add(document.n);
    const pages = new Set<number>();
    for (const page of document.pages) {
      if (!isOrdinal(page.m) || pages.has(page.m)) return `page number ${page.m} of document ${document.n} is not valid`;
      pages.add(page.m);
    }
  }
  // checked last: the digest covers the numbers above; the key becomes a folder name and a header
  if (batch.idempotencyKey !== contentKey(batch)) return 'its idempotency key does not name its content';
  return undefined;
}

function isOrdinal(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** The error for a page whose bytes on disk are not what the import recorded. */
export function damagedPageError(n: number, page: Pick<ArchivePage, 'm' | 'filename'>, detail: string, cause?: unknown): ArchiveError {
  return new ArchiveError(
    `Page ${page.m} ("${page.filename}") of document ${n} is damaged on the server (${detail}); the import cannot be archived as it is.`,
    false,
    { cause },
  );
}
