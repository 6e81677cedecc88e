import type { FieldError } from './errors.js';
import type { Attribute, Template } from './templates.js';

/**
 * The attribute rules, shared by the server (PUT and submit answer 422 with
 * these errors) and the task pane (which shows them while the user types), so
 * both always agree on what is valid.
 */

/** Stable `code` of a field error; clients may branch on it. */
export const ATTRIBUTE_ERROR_CODES = ['unknown', 'serverGenerated', 'required', 'type', 'pattern', 'maxLength', 'min', 'max', 'date', 'choice'] as const;
export type AttributeErrorCode = (typeof ATTRIBUTE_ERROR_CODES)[number];

export interface AttributeRuleOptions {
  /** the global limit on any string value, in code points (the server's `limits.attributeLength`) */
  maxLength?: number;
  /** default true: a missing required value is an error; false while a draft is being saved */
  requireAll?: boolean;
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real date of the (proleptic) Gregorian calendar written as `YYYY-MM-DD`. */
export function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Length as people count it (a Unicode code point is one character, even outside the BMP). */
export function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/** The first `max` code points of `value`; never splits a surrogate pair. */
export function truncateCodePoints(value: string, max: number): string {
  // UTF-16 length bounds the code point count, so short strings need no scan.
  if (value.length <= max) return value;
  return Array.from(value).slice(0, max).join('');
}

const compiledPatterns = new Map<string, RegExp>();

/**
 * A template's `pattern` as it is applied: the whole value must match, in
 * Unicode mode. Throws a `SyntaxError` for a pattern that does not compile
 * (the catalogue loader refuses those). Compiled once per pattern, since the
 * task pane validates on every keystroke.
 */
export function compilePattern(pattern: string): RegExp {
  let regex = compiledPatterns.get(pattern);
  if (!regex) {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
    compiledPatterns.set(pattern, regex);
  }
  return regex;
}

/** Missing: absent, or a string with nothing but white space (a cleared form field). */
function isMissing(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && value.trim() === '');
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
  switch (attribute.type) {
    case 'text':
      return validateText(attribute, value, options.maxLength);
    case 'number':
      return validateNumber(attribute, value);
    case 'date':
      return validateDate(attribute, value, options.maxLength);
    case 'choice':
      return validateChoice(attribute, value, options.maxLength);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : fieldError(attribute, 'type', 'must be true or false');
  }
}

/** The global limit applies to every string, so that no value can be huge before the other rules run. */
function checkLength(attribute: Attribute, value: string, ...limits: (number | undefined)[]): FieldError | undefined {
  const limit = Math.min(...limits.filter((l): l is number => l !== undefined));
  if (value.length <= limit || codePointLength(value) <= limit) return undefined;
  return fieldError(attribute, 'maxLength', `must be at most ${limit} characters`);
}

function validateText(attribute: Attribute, value: unknown, globalMax: number | undefined): FieldError | undefined {
  if (typeof value !== 'string') return fieldError(attribute, 'type', 'must be text');
  // Length before pattern: a catalogue pattern never runs on an unbounded input.
  const tooLong = checkLength(attribute, value, attribute.maxLength, globalMax);
  if (tooLong) return tooLong;
  if (attribute.pattern !== undefined && !compilePattern(attribute.pattern).test(value)) {
    return fieldError(attribute, 'pattern', 'does not have the expected format');
  }
  return undefined;
}

function validateNumber(attribute: Attribute, value: unknown): FieldError | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fieldError(attribute, 'type', 'must be a number');
  if (attribute.min !== undefined && value < attribute.min) {
    return fieldError(attribute, 'min', `must be at least ${attribute.min}`);
  }
  if (attribute.max !== undefined && value > attribute.max) {
    return fieldError(attribute, 'max', `must be at most ${attribute.max}`);
  }
  return undefined;
}

function validateDate(attribute: Attribute, value: unknown, globalMax: number | undefined): FieldError | undefined {
  if (typeof value !== 'string') return fieldError(attribute, 'type', 'must be a date written as YYYY-MM-DD');
  return (
    checkLength(attribute, value, globalMax) ?? (isCalendarDate(value) ? undefined : fieldError(attribute, 'date', 'must be a real date written as YYYY-MM-DD'))
  );
}

function validateChoice(attribute: Attribute, value: unknown, globalMax: number | undefined): FieldError | undefined {
  const options = attribute.options ?? [];
  const listed = options.map((option) => option.label || option.value).join(', ');
  if (typeof value !== 'string') return fieldError(attribute, 'type', `must be one of: ${listed}`);
  return (
    checkLength(attribute, value, globalMax) ??
    (options.some((option) => option.value === value) ? undefined : fieldError(attribute, 'choice', `must be one of: ${listed}`))
  );
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
