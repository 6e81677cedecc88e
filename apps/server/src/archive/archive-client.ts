import type { Attributes, Source } from '@toa/api/imports';
import type { ArchiveKind } from '../config/schema.js';

/** One page of a submitted document, read from the import's `page-M.bin`. */
export interface ArchivePage {
  m: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /**
   * The page's bytes as a file-backed Blob (node:fs `openAsBlob`), read only
   * when consumed, so an archive streams a page without holding it in memory
   * and without knowing where it lies. Rejects with ENOENT when the page is
   * missing; reading after the file changed fails (NotReadableError).
   */
  bytes(options?: { type?: string }): Promise<Blob>;
}

export interface ArchiveDocument {
  n: number;
  templateId: string;
  attributes: Attributes;
  pages: ArchivePage[];
}

/** A complete import, as handed to the archive. */
export interface ArchiveBatch {
  importId: string;
  /**
   * Names this content of the import (`contentKey`): the same for every
   * attempt of unchanged content, a new one after any edit. The http archive
   * gets it as `Idempotency-Key`; the filesystem archive names the batch folder by it.
   */
  idempotencyKey: string;
  domain: string;
  submittedAt: string;
  submitter: { userId: string; name: string; email: string };
  source: Source;
  documents: ArchiveDocument[];
}

export interface ArchiveClient {
  readonly kind: ArchiveKind;
  /** true when submitting the same idempotency key twice yields one batch: a PENDING import found at start may then be resumed */
  readonly honoursIdempotencyKey: boolean;
  submit(batch: ArchiveBatch, signal?: AbortSignal): Promise<{ batchId: string }>;
  /**
   * Housekeeping for clients that stage batches locally: removes staging
   * folders left by crashed runs more than an hour ago. Returns their names.
   */
  sweepStaging?(): Promise<string[]>;
}

/**
 * Why a submit failed, worded for the person reading it in the task pane.
 * `retryable` tells the caller whether submitting again later may succeed;
 * `false` means something must be fixed first (the import, the configuration
 * or the request the archive refused).
 */
export class ArchiveError extends Error {
  readonly status: number | undefined;

  constructor(
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArchiveError';
    this.status = options.status;
  }
}

/** The caller gave up (shutdown, client gone): the import stays PENDING and can be submitted again. */
export function interruptedError(cause: unknown): ArchiveError {
  return new ArchiveError('The submission was interrupted before the archive confirmed it; submit again.', true, { cause });
}
