import { attributeType } from '@toa/api/attribute-types';
import { isMissing, validateAttribute, validateAttributes } from '@toa/api/attributes';
import type { Attributes } from '@toa/api/imports';
import { initialAttributes, type MessageFacts } from '@toa/api/prefill';
import type { Attribute, AttributeLimits, Template } from '@toa/api/templates';
import type { ValueOrigins } from './inherited-values';

/** What a form control holds: text as typed (numbers too, so "1." survives typing), booleans as such. */
export type FieldValue = string | boolean;
export type FieldValues = Record<string, FieldValue>;
/** attribute id → message, for the one error a field shows */
export type FieldMessages = Record<string, string>;

/** Attributes the user fills in; server-generated ones are neither shown nor sent. */
export function editableAttributes(template: Template): Attribute[] {
  return template.attributes.filter((attribute) => !attribute.serverGenerated);
}

export function toFieldValues(attributes: Attributes): FieldValues {
  const values: FieldValues = {};
  for (const [id, value] of Object.entries(attributes)) values[id] = typeof value === 'number' ? String(value) : value;
  return values;
}

/**
 * The typed value the shared rules check, read by the type's rules
 * (`@toa/api/attribute-types`): what an untouched control holds for a blank
 * field, the text as typed where it is no value of the type (so that the
 * rules say what is wrong with it, e.g. "must be a number").
 */
export function toAttributeValue(attribute: Attribute, raw: FieldValue | undefined): unknown {
  const rules = attributeType(attribute.type);
  if (typeof raw === 'boolean') return raw;
  const text = raw !== undefined && rules.trims ? raw.trim() : raw;
  if (text === undefined || isMissing(text)) return rules.untouched;
  return rules.parse(text) ?? text;
}

/** The body of `PUT …/documents/:n`: only filled, user-editable attributes. */
export function toAttributes(template: Template, values: FieldValues): Attributes {
  const attributes: Attributes = {};
  for (const attribute of editableAttributes(template)) {
    const value = toAttributeValue(attribute, values[attribute.id]);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[attribute.id] = value;
  }
  return attributes;
}

/**
 * The field's message under the shared rules. `limits` are the server's
 * (`GET …/templates` tells them), so that the pane never accepts a value the
 * server refuses; absent where the server did not say.
 */
export function validateField(attribute: Attribute, raw: FieldValue | undefined, limits?: AttributeLimits): string | undefined {
  return validateAttribute(attribute, toAttributeValue(attribute, raw), { maxLength: limits?.attributeLength })?.message;
}

/** Every problem of a whole document, as the server would report it at submit. */
export function validateDocument(template: Template, values: FieldValues, limits?: AttributeLimits): FieldMessages {
  const typed: Record<string, unknown> = {};
  for (const attribute of editableAttributes(template)) {
    const value = toAttributeValue(attribute, values[attribute.id]);
    if (value !== undefined) typed[attribute.id] = value;
  }
  const messages: FieldMessages = {};
  for (const error of validateAttributes(template, typed, { maxLength: limits?.attributeLength })) {
    // Server-generated attributes are filled at submit, so "required" is not the user's to fix.
    if (template.attributes.find((a) => a.id === error.field)?.serverGenerated) continue;
    messages[error.field] ??= error.message;
  }
  return messages;
}

/** A document's values with where the pane took each filled-in one from. */
export interface PrefilledValues {
  values: FieldValues;
  origins: ValueOrigins;
}

/**
 * The values a document has when its template is chosen: pre-filled from the
 * message (origin `message`), else the user's last filed value of the
 * template (`remembered`, `GET …/last-values`, taken only while it is still
 * valid under the template: `lastFiled`), else the template's default (no
 * origin); overlaid with everything the form held before, also under other
 * templates (switching back and forth loses nothing; only the chosen
 * template's attributes are ever sent), which keeps its origin from
 * `previous.origins` (none: the user typed it). Pre-filled text is cut to what
 * the limits allow.
 */
export function prefillForTemplate(
  template: Template,
  facts: MessageFacts,
  previous: { values: FieldValues; origins?: ValueOrigins | undefined },
  limits?: AttributeLimits,
  remembered?: Attributes,
): PrefilledValues {
  const max = limits?.attributeLength;
  const prefilled = initialAttributes(withoutDefaults(template), facts, undefined, max);
  const lastFiled = lastUsedDefaults(template, remembered, limits);
  const values = toFieldValues({ ...initialAttributes(template, facts, undefined, max), ...lastFiled, ...prefilled });
  const origins: ValueOrigins = {};
  for (const id of Object.keys(lastFiled)) origins[id] = 'lastFiled';
  for (const id of Object.keys(prefilled)) origins[id] = 'message';
  for (const [id, kept] of Object.entries(previous.values)) {
    if (isMissing(kept)) continue;
    values[id] = kept;
    const origin = previous.origins?.[id];
    if (origin) origins[id] = origin;
    else delete origins[id];
  }
  return { values, origins };
}

function withoutDefaults(template: Template): Template {
  return { ...template, attributes: template.attributes.map(({ default: _default, ...attribute }) => attribute) };
}

/** The remembered values of the template's editable attributes that its rules and the limits still accept. */
export function lastUsedDefaults(template: Template, remembered: Attributes | undefined, limits?: AttributeLimits): Attributes {
  const defaults: Attributes = {};
  for (const attribute of editableAttributes(template)) {
    const value = remembered?.[attribute.id];
    if (value === undefined || isMissing(value)) continue;
    if (validateAttribute(attribute, value, { maxLength: limits?.attributeLength }) === undefined) defaults[attribute.id] = value;
  }
  return defaults;
}
