import { z } from '@toa/api/zod';
import { VALUE_ORIGINS } from './inherited-values';

/**
 * Form state kept per message in localStorage, so nothing typed is lost when the
 * pane reloads, the pinned pane moves to another message and back, or a step fails.
 */
const fieldValuesSchema = z.record(z.string(), z.union([z.string(), z.boolean()]));

export const documentDraftSchema = z.object({
  templateId: z.optional(z.string()),
  values: fieldValuesSchema,
  /** attribute id → where a value the pane filled in came from (`lib/inherited-values`); dropped once the field is edited */
  origins: z.optional(z.record(z.string(), z.enum(VALUE_ORIGINS))),
});
export type DocumentDraft = z.infer<typeof documentDraftSchema>;

export const attachmentDraftSchema = z.extend(documentDraftSchema, { extract: z.boolean() });
export type AttachmentDraft = z.infer<typeof attachmentDraftSchema>;

export const messageDraftSchema = z.object({
  domain: z.optional(z.string()),
  message: documentDraftSchema,
  /** by Outlook attachment id */
  attachments: z.record(z.string(), attachmentDraftSchema),
  savedAt: z.number(),
});
export type MessageDraft = z.infer<typeof messageDraftSchema>;

/**
 * The server-side import a message's Import has got as far as, written as soon
 * as the server has it, so that a reload of the pane continues that import
 * instead of leaving it behind as an orphan DRAFT. The steps are what the pane
 * last knew; the import itself is re-read from the server before it goes on.
 */
export const importProgressSchema = z.object({
  domain: z.string(),
  id: z.string(),
  uploaded: z.boolean(),
  /** Outlook attachment id → number of the document it was extracted into */
  extracted: z.record(z.string(), z.int().check(z.positive())),
  /** templates and values of every document were saved */
  saved: z.boolean(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

/** What is stored per message: the form, and the import it started, written by different owners. */
const storedDraftSchema = z.extend(messageDraftSchema, { import: z.optional(importProgressSchema) });
type StoredDraft = z.infer<typeof storedDraftSchema>;

const PREFIX = 'toa.draft.v1:';
const KEEP = 25;

export function emptyDraft(): MessageDraft {
  return { message: { values: {} }, attachments: {}, savedAt: Date.now() };
}

function loadStored(messageKey: string, storage: Storage): StoredDraft | undefined {
  try {
    const raw = storage.getItem(PREFIX + messageKey);
    if (!raw) return undefined;
    const parsed = storedDraftSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function saveStored(messageKey: string, stored: StoredDraft, storage: Storage): void {
  try {
    storage.setItem(PREFIX + messageKey, JSON.stringify({ ...stored, savedAt: Date.now() }));
    pruneDrafts(storage);
  } catch {
    // Storage full or disabled (private mode): the form still works, only without the safety net.
  }
}

/** The form of a message (without the import progress, which the form never owns). */
export function loadDraft(messageKey: string, storage: Storage = localStorage): MessageDraft | undefined {
  const stored = loadStored(messageKey, storage);
  if (!stored) return undefined;
  const { import: _progress, ...draft } = stored;
  return draft;
}

/** Saves the form, keeping the import progress the import flow stored beside it. */
export function saveDraft(messageKey: string, draft: MessageDraft, storage: Storage = localStorage): void {
  saveStored(messageKey, { ...draft, import: loadStored(messageKey, storage)?.import }, storage);
}

export function loadImportProgress(messageKey: string, storage: Storage = localStorage): ImportProgress | undefined {
  return loadStored(messageKey, storage)?.import;
}

/** Records (or, with `undefined`, forgets) the import of a message, keeping its form. */
export function saveImportProgress(messageKey: string, progress: ImportProgress | undefined, storage: Storage = localStorage): void {
  const stored = loadStored(messageKey, storage);
  if (!stored && !progress) return;
  saveStored(messageKey, { ...(stored ?? { ...emptyDraft(), domain: progress?.domain }), import: progress }, storage);
}

export function deleteDraft(messageKey: string, storage: Storage = localStorage): void {
  try {
    storage.removeItem(PREFIX + messageKey);
  } catch {
    // see saveDraft
  }
}

/** Keeps the newest drafts only, so storage does not fill up over months of use. */
function pruneDrafts(storage: Storage): void {
  const drafts: { key: string; savedAt: number }[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const draft = loadStored(key.slice(PREFIX.length), storage);
    drafts.push({ key, savedAt: draft?.savedAt ?? 0 });
  }
  drafts.sort((a, b) => b.savedAt - a.savedAt);
  for (const { key } of drafts.slice(KEEP)) storage.removeItem(key);
}
