import { z } from 'zod';

/**
 * Form state kept per message in localStorage, so nothing typed is lost when the
 * pane reloads, the pinned pane moves to another message and back, or a step fails.
 */
const fieldValuesSchema = z.record(z.string(), z.union([z.string(), z.boolean()]));

export const documentDraftSchema = z.object({
  templateId: z.string().optional(),
  values: fieldValuesSchema,
});
export type DocumentDraft = z.infer<typeof documentDraftSchema>;

export const attachmentDraftSchema = documentDraftSchema.extend({ extract: z.boolean() });
export type AttachmentDraft = z.infer<typeof attachmentDraftSchema>;

export const messageDraftSchema = z.object({
  domain: z.string().optional(),
  message: documentDraftSchema,
  /** by Outlook attachment id */
  attachments: z.record(z.string(), attachmentDraftSchema),
  savedAt: z.number(),
});
export type MessageDraft = z.infer<typeof messageDraftSchema>;

const PREFIX = 'toa.draft.v1:';
const KEEP = 25;

export function emptyDraft(): MessageDraft {
  return { message: { values: {} }, attachments: {}, savedAt: Date.now() };
}

export function loadDraft(messageKey: string, storage: Storage = localStorage): MessageDraft | undefined {
  try {
    const raw = storage.getItem(PREFIX + messageKey);
    if (!raw) return undefined;
    const parsed = messageDraftSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function saveDraft(messageKey: string, draft: MessageDraft, storage: Storage = localStorage): void {
  try {
    storage.setItem(PREFIX + messageKey, JSON.stringify({ ...draft, savedAt: Date.now() }));
    pruneDrafts(storage);
  } catch {
    // Storage full or disabled (private mode): the form still works, only without the safety net.
  }
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
    const draft = loadDraft(key.slice(PREFIX.length), storage);
    drafts.push({ key, savedAt: draft?.savedAt ?? 0 });
  }
  drafts.sort((a, b) => b.savedAt - a.savedAt);
  for (const { key } of drafts.slice(KEEP)) storage.removeItem(key);
}
