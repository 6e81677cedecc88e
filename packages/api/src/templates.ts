import { z } from 'zod';

export const ATTRIBUTE_TYPES = ['text', 'number', 'date', 'choice', 'boolean'] as const;
export const attributeTypeSchema = z.enum(ATTRIBUTE_TYPES);
export type AttributeType = z.infer<typeof attributeTypeSchema>;

/** What the task pane may copy from the message into an attribute. */
export const PREFILL_SOURCES = ['subject', 'fromName', 'fromAddress', 'receivedDate'] as const;
export const prefillSchema = z.enum(PREFILL_SOURCES);
export type Prefill = z.infer<typeof prefillSchema>;

export const attributeValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type AttributeValue = z.infer<typeof attributeValueSchema>;

export const choiceOptionSchema = z.object({
  value: z.string().min(1),
  label: z.string(),
});
export type ChoiceOption = z.infer<typeof choiceOptionSchema>;

export const attributeSchema = z.object({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/),
  label: z.string().min(1),
  type: attributeTypeSchema,
  required: z.boolean().default(false),
  /** text only: the whole value must match (anchored, Unicode mode) */
  pattern: z.string().optional(),
  /** number only */
  min: z.number().optional(),
  max: z.number().optional(),
  /** text only */
  maxLength: z.number().int().positive().optional(),
  /** typed like the value: string for text/date/choice, number, boolean */
  default: attributeValueSchema.optional(),
  /** choice only */
  options: z.array(choiceOptionSchema).optional(),
  prefill: prefillSchema.optional(),
  /** filled by the server at submit; never sent by the client */
  serverGenerated: z.boolean().default(false),
});
export type Attribute = z.infer<typeof attributeSchema>;

export const templateSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  name: z.string().min(1),
  attributes: z.array(attributeSchema),
});
export type Template = z.infer<typeof templateSchema>;

export const catalogueSchema = z.object({
  version: z.string(),
  templates: z.array(templateSchema),
});
export type Catalogue = z.infer<typeof catalogueSchema>;

/** `GET /api/domains/:domain/templates` */
export const templatesResponseSchema = z.object({
  domain: z.string(),
  /** where the catalogue in use came from */
  source: z.enum(['file', 'url', 'cache']),
  loadedAt: z.string(),
  templates: z.array(templateSchema),
});
export type TemplatesResponse = z.infer<typeof templatesResponseSchema>;
