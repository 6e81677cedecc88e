import { z } from '@toa/api/zod';
import type { MessageDraft } from '../../../lib/drafts';
import { BULK_JOB_KEY } from '../stored-job';

/**
 * Where a message of a bulk filing stands:
 * - `queued`: waiting for one of the two places in the queue;
 * - `filing`: its import runs (after a reload: ran when the pane closed);
 * - `submitted`: the archive confirmed it (`batchId`);
 * - `skipped`: the message was filed before and is left alone (`note`);
 * - `failed`: the archive refused it; the import is kept (`importId`) and Retry submits it again;
 * - `stopped`: a step failed (`error`); Retry continues where it stopped.
 */
export const BULK_ITEM_STATES = ['queued', 'filing', 'submitted', 'skipped', 'failed', 'stopped'] as const;
export type BulkItemState = (typeof BULK_ITEM_STATES)[number];

const fieldValuesSchema = z.record(z.string(), z.union([z.string(), z.boolean()]));

export const bulkItemSchema = z.object({
  /** Outlook's item id: how the message is loaded again (`loadItemByIdAsync`), after a reload too */
  itemId: z.string().check(z.minLength(1)),
  /** the message key (Internet message id, else item id): its progress in the drafts store and its duplicate check */
  key: z.string().check(z.minLength(1)),
  subject: z.string(),
  /** this message's own values, over the shared ones: those the template pre-fills from the message (subject, date, sender) */
  values: fieldValuesSchema,
  state: z.enum(BULK_ITEM_STATES),
  /** the import this message got, once the server created it */
  importId: z.optional(z.string()),
  batchId: z.optional(z.string()),
  /** why it was skipped, or what marking it left undone */
  note: z.optional(z.string()),
  /** what stopped it, or the archive's refusal */
  error: z.optional(z.string()),
});
export type BulkItem = z.infer<typeof bulkItemSchema>;

/** One bulk filing: the same domain, template and values for every message, each message with its own overrides. */
export const bulkJobSchema = z.object({
  domain: z.string().check(z.minLength(1)),
  templateId: z.string().check(z.minLength(1)),
  shared: fieldValuesSchema,
  items: z.array(bulkItemSchema).check(z.minLength(1)),
  startedAt: z.number(),
});
export type BulkJob = z.infer<typeof bulkJobSchema>;

/** The states in which a message still has work to do. */
export function isPending(item: BulkItem): boolean {
  return item.state === 'queued' || item.state === 'filing';
}

/** The form the import flow files one message of the job with: the job's template, the shared values and the message's own over them. */
export function draftOf(job: BulkJob, item: BulkItem): MessageDraft {
  return { domain: job.domain, message: { templateId: job.templateId, values: { ...job.shared, ...item.values } }, attachments: {}, savedAt: 0 };
}

/** Where the job is kept, so that closing or reloading the pane resumes it. */
export interface JobStore {
  load(): BulkJob | undefined;
  save(job: BulkJob): void;
  clear(): void;
}

/** The job in `storage` (the pane's localStorage, beside the drafts); a record that does not parse is no job. */
export function localJobStore(storage: Storage = localStorage): JobStore {
  return {
    load: () => {
      try {
        const raw = storage.getItem(BULK_JOB_KEY);
        const parsed = raw ? bulkJobSchema.safeParse(JSON.parse(raw)) : undefined;
        return parsed?.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    save: (job) => {
      try {
        storage.setItem(BULK_JOB_KEY, JSON.stringify(job));
      } catch {
        // storage full or disabled: the queue still runs, only a reload will not resume it
      }
    },
    clear: () => {
      try {
        storage.removeItem(BULK_JOB_KEY);
      } catch {
        // see save
      }
    },
  };
}
