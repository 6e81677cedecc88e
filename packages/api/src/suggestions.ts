import { z } from './zod.js';
import { attributesSchema } from './imports.js';

/**
 * `POST /api/import/:domain/suggestions`: the message about to be filed, as far as
 * the task pane read it (Office.js `item.*`, Mailbox 1.1). Every field is
 * optional: a suggestion is only as good as what it is told.
 */
export const suggestionRequestSchema = z.strictObject({
  internetMessageId: z.optional(z.string().check(z.minLength(1), z.maxLength(998))),
  conversationId: z.optional(z.string().check(z.minLength(1), z.maxLength(1000))),
  /** the sender: an address, or `Name <address>` */
  from: z.optional(z.string().check(z.maxLength(1000))),
  to: z._default(z.array(z.string().check(z.maxLength(998))).check(z.maxLength(500)), []),
  cc: z._default(z.array(z.string().check(z.maxLength(998))).check(z.maxLength(500)), []),
  subject: z.optional(z.string().check(z.maxLength(2000))),
  attachments: z._default(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(1000)), []),
  /** how many suggestions at most */
  limit: z._default(z.int().check(z.minimum(1), z.maximum(10)), 3),
});
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
  score: z.number().check(z.minimum(0), z.maximum(1)),
  /** strongest first; never another user's subject or sender */
  reasons: z.array(suggestionReasonSchema).check(z.minLength(1)),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

export const suggestionsResponseSchema = z.object({
  /** best first; empty when nothing filed before points anywhere with confidence */
  suggestions: z.array(suggestionSchema),
});
export type SuggestionsResponse = z.infer<typeof suggestionsResponseSchema>;
