import { z } from './zod.js';
import { attributesSchema } from './imports.js';

/**
 * The values a user last filed per template of a domain, offered by the task
 * pane as defaults for fields nothing else fills (docs/api.md, "Last values";
 * ADR 0014). Recorded by the server when an import is submitted, from its
 * documents; no client writes them.
 */

/** How many templates' values are kept per user and domain; the least recently used go first. */
export const LAST_VALUES_TEMPLATE_CAP = 50;

/** `GET /domains/:domain/last-values`: template id → the attribute values last filed with it. */
export const lastValuesResponseSchema = z.object({
  templates: z.record(z.string(), attributesSchema),
});
export type LastValuesResponse = z.infer<typeof lastValuesResponseSchema>;
