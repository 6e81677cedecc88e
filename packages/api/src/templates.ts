import { z } from './zod.js';
import { ATTRIBUTE_TYPE_RULES, ATTRIBUTE_TYPES, type AttributeValue, typeSettingsSchema } from './attribute-types.js';

export const attributeTypeSchema = z.enum(ATTRIBUTE_TYPES);

/** What the task pane may copy from the message into an attribute. */
export const PREFILL_SOURCES = ['subject', 'fromName', 'fromAddress', 'receivedDate'] as const;
export const prefillSchema = z.enum(PREFILL_SOURCES);
export type Prefill = z.infer<typeof prefillSchema>;

/** A value of any type: the union of the types' own schemas (`attribute-types.ts`). */
export const attributeValueSchema = z.union(
  Object.values(ATTRIBUTE_TYPE_RULES).map((rules) => rules.schema) as unknown as [
    z.ZodMiniType<AttributeValue, AttributeValue>,
    ...z.ZodMiniType<AttributeValue, AttributeValue>[],
  ],
);

export const attributeSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)),
  label: z.string().check(z.minLength(1)),
  type: attributeTypeSchema,
  required: z._default(z.boolean(), false),
  // Type-specific settings: which types take which is in each type's `settings`.
  pattern: typeSettingsSchema.shape.pattern,
  min: typeSettingsSchema.shape.min,
  max: typeSettingsSchema.shape.max,
  maxLength: typeSettingsSchema.shape.maxLength,
  /** typed like the value (the type's `parse` of the catalogue's text) */
  default: z.optional(attributeValueSchema),
  options: typeSettingsSchema.shape.options,
  prefill: z.optional(prefillSchema),
  /** filled by the server at submit; never sent by the client */
  serverGenerated: z._default(z.boolean(), false),
});
export type Attribute = z.infer<typeof attributeSchema>;

export const templateSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)),
  name: z.string().check(z.minLength(1)),
  attributes: z.array(attributeSchema),
});
export type Template = z.infer<typeof templateSchema>;

export const catalogueSchema = z.object({
  version: z.string(),
  templates: z.array(templateSchema),
});
export type Catalogue = z.infer<typeof catalogueSchema>;

/**
 * The server's limits on attribute values (its `limits` configuration), so
 * that a form applies them as the user types and never accepts a value the
 * server refuses.
 */
export const attributeLimitsSchema = z.object({
  /** `limits.attributeLength`: the longest string value of any attribute, in code points */
  attributeLength: z.int().check(z.positive()),
});
export type AttributeLimits = z.infer<typeof attributeLimitsSchema>;

/** `GET /api/domains/:domain/templates` */
export const templatesResponseSchema = z.object({
  domain: z.string(),
  /** where the catalogue in use came from */
  source: z.enum(['file', 'url', 'cache']),
  loadedAt: z.string(),
  templates: z.array(templateSchema),
  /** always sent by this server; a client talking to an older one, which does not send it, knows no global limit */
  limits: z.optional(attributeLimitsSchema),
});
export type TemplatesResponse = z.infer<typeof templatesResponseSchema>;
