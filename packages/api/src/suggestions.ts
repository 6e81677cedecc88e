import { z } from 'zod';
import { attributesSchema } from './imports.js';

/**
 * `POST /api/import/:domain/suggestions`: the message about to be filed, as far as
 * the task pane read it (Office.js `item.*`, Mailbox 1.1). Every field is
 * optional: a suggestion is only as good as what it is told.
 */
export const suggestionRequestSchema = z
  .object({
    internetMessageId: z.string().min(1).max(998).optional(),
    conversationId: z.string().min(1).max(1000).optional(),
    /** the sender: an address, or `Name <address>` */
    from: z.string().max(1000).optional(),
    to: z.array(z.string().max(998)).max(500).default([]),
    cc: z.array(z.string().max(998)).max(500).default([]),
    subject: z.string().max(2000).optional(),
    attachments: z.array(z.string().max(1000)).max(1000).default([]),
    /** how many suggestions at most */
    limit: z.number().int().min(1).max(10).default(3),
  })
  .strict();
export type SuggestionRequest = z.input<typeof suggestionRequestSchema>;

/** Where a suggestion's evidence came from, strongest first. */
export const SUGGESTION_SOURCES = ['conversation', 'sender', 'senderDomain', 'recipients', 'subject'] as const;
export const suggestionSourceSchema = z.enum(SUGGESTION_SOURCES);
export type SuggestionSource = z.infer<typeof suggestionSourceSchema>;

export const suggestionReasonSchema = z.object({
  source: suggestionSourceSchema,
  /** for people: "3 of your last 4 messages from this sender" */
  text: z.string(),
});
export type SuggestionReason = z.infer<typeof suggestionReasonSchema>;

/**
 * One place to file the message: a template and the attribute values earlier
 * imports shared. Attributes the template fills from the message itself
 * (`prefill`) and server-generated ones are left out: the form fills those.
 */
export const suggestionSchema = z.object({
  domain: z.string(),
  templateId: z.string(),
  attributes: attributesSchema,
  /** 0 to 1: how much of the evidence points here (not a probability) */
  score: z.number().min(0).max(1),
  /** strongest first; never another user's subject or sender */
  reasons: z.array(suggestionReasonSchema).min(1),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

export const suggestionsResponseSchema = z.object({
  /** best first; empty when nothing filed before points anywhere with confidence */
  suggestions: z.array(suggestionSchema),
});
export type SuggestionsResponse = z.infer<typeof suggestionsResponseSchema>;
