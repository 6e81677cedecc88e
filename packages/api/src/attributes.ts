import { type AttributeErrorCode, attributeType } from './attribute-types.js';
import type { FieldError } from './errors.js';
import type { Attributes } from './imports.js';
import type { Attribute, Template } from './templates.js';
import { isBlank } from './text.js';

/**
 * The attribute rules, shared by the server (PUT and submit answer 422 with
 * these errors) and the task pane (which shows them while the user types), so
 * both always agree on what is valid. What each type accepts is its entry in
 * `attribute-types.ts`; this module applies the rules common to all.
 */

export interface AttributeRuleOptions {
  /** the global limit on any string value, in code points (the server's `limits.attributeLength`) */
  maxLength?: number;
  /** default true: a missing required value is an error; false while a draft is being saved */
  requireAll?: boolean;
}

/** Missing: absent, or blank (a cleared form field). */
export function isMissing(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && isBlank(value));
}

/** Blank optional values mean "no value": they are left out, so that nobody stores or archives "". */
export function withoutBlanks(attributes: Attributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => !isMissing(value)));
}

function fieldError(attribute: Attribute, code: AttributeErrorCode, message: string): FieldError {
  return { field: attribute.id, code, message: `${attribute.label} ${message}` };
}

/** Validates one value as the user types; `undefined` means it is fine. */
export function validateAttribute(attribute: Attribute, value: unknown, options: AttributeRuleOptions = {}): FieldError | undefined {
  if (attribute.serverGenerated) {
    return value === undefined ? undefined : fieldError(attribute, 'serverGenerated', 'is filled in by the server');
  }
  if (isMissing(value)) {
    return attribute.required && options.requireAll !== false ? fieldError(attribute, 'required', 'is required') : undefined;
  }
  const rules = attributeType(attribute.type);
  const shaped = rules.schema.safeParse(value);
  if (!shaped.success) return fieldError(attribute, 'type', rules.expected(attribute));
  const problem = rules.check(attribute, shaped.data, options.maxLength);
  return problem && fieldError(attribute, problem.code, problem.message);
}

/**
 * Validates a document's attribute values against its template: one error
 * per bad field, template fields first (in template order), then unknown ids
 * (in the order given).
 */
export function validateAttributes(template: Template, values: Record<string, unknown>, options: AttributeRuleOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  const known = new Set<string>();
  for (const attribute of template.attributes) {
    known.add(attribute.id);
    // Own properties only: an id such as "constructor" must not find Object.prototype's.
    const value = Object.hasOwn(values, attribute.id) ? values[attribute.id] : undefined;
    const error = validateAttribute(attribute, value, options);
    if (error) errors.push(error);
  }
  for (const [id, value] of Object.entries(values)) {
    // An id set to undefined is absent, as it will be once the values go through JSON.
    if (!known.has(id) && value !== undefined) {
      errors.push({ field: id, code: 'unknown', message: `"${id}" is not an attribute of ${template.name}` });
    }
  }
  return errors;
}
