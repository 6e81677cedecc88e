import type { Import } from '@toa/api/imports';
import { deleteDraft, type ImportProgress, loadImportProgress, saveImportProgress } from '../../../lib/drafts';
import type { MessageHandle } from '../../../lib/message-handle';
import { type PartIdentity, pairDocuments } from '../api/match-attachments';

/**
 * What has been done on the server for one message's import, so that a retry
 * never repeats a creating call. Kept by the caller between tries (Try again
 * continues it) and mirrored into a `ProgressStore` (`ImportProgress`), so that
 * a reload of the pane continues the import too.
 */
export interface Attempt {
  domain: string;
  message: MessageHandle;
  importId?: string;
  /** document 1 has the EML */
  uploaded: boolean;
  /**
   * Outlook attachment id → server identity of its MIME part, fixed at the first
   * pairing (against the EML as it was then: after a reload, without the parts
   * extracted before it)
   */
  identities?: Map<string, PartIdentity>;
  /** Outlook attachment id → number of the document it became */
  extracted: Map<string, number>;
  /** templates and values of every document were saved */
  saved: boolean;
  /** the user chose to import a message that was imported before */
  duplicateConfirmed?: boolean;
}

export function newAttempt(domain: string, message: MessageHandle): Attempt {
  return { domain, message, uploaded: false, extracted: new Map(), saved: false };
}

/**
 * Where the progress of each message's import is kept between sessions, by
 * message key. The pane keeps it beside the message's draft in localStorage
 * (`draftStore`).
 */
export interface ProgressStore {
  load(messageKey: string): ImportProgress | undefined;
  /** records the import of a message, or with `undefined` forgets it (the form stays) */
  save(messageKey: string, progress: ImportProgress | undefined): void;
  /** the archive has the message: its form goes too */
  drop(messageKey: string): void;
}

/** The progress kept beside each message's draft (`lib/drafts`), in `storage`. */
export function draftStore(storage: Storage = localStorage): ProgressStore {
  return {
    load: (messageKey) => loadImportProgress(messageKey, storage),
    save: (messageKey, progress) => saveImportProgress(messageKey, progress, storage),
    drop: (messageKey) => deleteDraft(messageKey, storage),
  };
}

/** The stored form of an attempt; nothing before the server has an import. */
export function progressOf(attempt: Attempt): ImportProgress | undefined {
  if (!attempt.importId) return undefined;
  return {
    domain: attempt.domain,
    id: attempt.importId,
    uploaded: attempt.uploaded,
    extracted: Object.fromEntries(attempt.extracted),
    saved: attempt.saved,
  };
}

/**
 * Takes up an import a reload left behind. The server's documents decide what
 * is done; the stored record only says which attachment became which document.
 */
export function takeUp(attempt: Attempt, found: Import, stored: ImportProgress): void {
  attempt.importId = found.id;
  attempt.uploaded = (found.documents.find((d) => d.n === 1)?.pages.length ?? 0) > 0;
  const numbers = new Set(found.documents.map((d) => d.n));
  attempt.extracted = new Map(Object.entries(stored.extracted).filter(([, n]) => numbers.has(n)));
  // An extraction whose answer never arrived left a document no stored number names.
  const known = new Set(attempt.extracted.values());
  const unrecorded = found.documents.filter((d) => d.origin?.document === 1 && !known.has(d.n));
  const left = attempt.message.details.attachments.filter((a) => !attempt.extracted.has(a.id));
  for (const [key, n] of pairDocuments(left, unrecorded)) attempt.extracted.set(key, n);
  attempt.identities = undefined;
  attempt.saved = false;
}
