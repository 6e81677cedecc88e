import { z } from './zod.js';
import { isCalendarDate } from './calendar-date.js';
import { codePointLength, compilePattern, truncateCodePoints } from './text.js';
import type { Prefill } from './templates.js';

/**
 * The attribute types, one entry each: everything the server, the catalogue
 * loader and the task pane know about a type lives in its entry here. Adding
 * a type is one entry in ATTRIBUTE_TYPE_RULES plus one form control in the
 * task pane (docs/templates.md, "Adding an attribute type").
 */

/** Stable `code` of a field error; clients may branch on it. */
export const ATTRIBUTE_ERROR_CODES = ['unknown', 'serverGenerated', 'required', 'type', 'pattern', 'maxLength', 'min', 'max', 'date', 'choice'] as const;
export type AttributeErrorCode = (typeof ATTRIBUTE_ERROR_CODES)[number];

/** What is wrong with a value; `message` is said of the attribute and follows its label ("must be a number"). */
export interface ValueProblem {
  code: AttributeErrorCode;
  message: string;
}

export const choiceOptionSchema = z.object({
  value: z.string().check(z.minLength(1)),
  label: z.string(),
});
export type ChoiceOption = z.infer<typeof choiceOptionSchema>;

/**
 * The settings of an attribute that mean something for some types only
 * (SPEC §13.2): each type's `settings` names those it takes, and the
 * catalogue loader refuses the others. Part of `attributeSchema`.
 */
export const typeSettingsSchema = z.object({
  /** the whole value must match (anchored, Unicode mode) */
  pattern: z.optional(z.string()),
  min: z.optional(z.number()),
  max: z.optional(z.number()),
  /** in code points; the server's `limits.attributeLength` applies to every string besides */
  maxLength: z.optional(z.int().check(z.positive())),
  options: z.optional(z.array(choiceOptionSchema)),
});
export type TypeSettings = z.infer<typeof typeSettingsSchema>;
export type TypeSetting = keyof TypeSettings;

/** Attribute values are JSON scalars (SPEC §13.2). */
type Scalar = string | number | boolean;

export interface AttributeTypeRules<V extends Scalar> {
  /** the value's JSON shape, in requests and in `import.json` (SPEC §13.2) */
  schema: z.ZodMiniType<V>;
  /** what a value of another JSON shape is told, after the label: "must be a number" */
  expected(attribute: TypeSettings): string;
  /** the type-specific catalogue settings this type takes */
  settings: readonly TypeSetting[];
  /**
   * The rules on a value of the right shape, once it is known not to be
   * missing. `globalMax` is the server's limit on every string value, in code
   * points (`limits.attributeLength`).
   */
  check(attribute: TypeSettings, value: V, globalMax: number | undefined): ValueProblem | undefined;
  /** A value written as text (a catalogue `default`, a form field); `undefined` when the text is not one. */
  parse(text: string): V | undefined;
  /** whether text typed into a form field is trimmed before it is parsed (free text is taken as typed) */
  trims: boolean;
  /** what a form control the user never touched holds (a checkbox: unticked); absent: no value */
  untouched?: V;
  /** The message facts that may fill it in (`'any'`: every one), and how a fact is fitted to the attribute. */
  prefill?: { sources: 'any' | readonly Prefill[]; fitFact(attribute: TypeSettings, fact: string, globalMax: number | undefined): string };
}

/** Pins each entry's value type, so that `check` and `parse` are typed by the schema. */
function defineType<V extends Scalar>(rules: AttributeTypeRules<V>): AttributeTypeRules<V> {
  return rules;
}

/** The smaller of the limits that are set; `undefined` when none is. */
function smallest(...limits: (number | undefined)[]): number | undefined {
  const set = limits.filter((limit): limit is number => limit !== undefined);
  return set.length === 0 ? undefined : Math.min(...set);
}

/** The global limit applies to every string, so that no value can be huge before the other rules run. */
function checkLength(value: string, ...limits: (number | undefined)[]): ValueProblem | undefined {
  const limit = smallest(...limits);
  if (limit === undefined || value.length <= limit || codePointLength(value) <= limit) return undefined;
  return { code: 'maxLength', message: `must be at most ${limit} characters` };
}

/** A decimal number as people write it: `12`, `-0.5`, `.5`, `1.`, `1e3`; no hex, no `Infinity`, no blanks around it. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a decimal text stands for; `undefined` when it is not one or is too large for a double (`Number('')` would be 0). */
export function parseDecimal(text: string): number | undefined {
  const number = Number(text);
  return DECIMAL.test(text) && Number.isFinite(number) ? number : undefined;
}

function choiceList(attribute: TypeSettings): string {
  return (attribute.options ?? []).map((option) => option.label || option.value).join(', ');
}

export const ATTRIBUTE_TYPE_RULES = {
  text: defineType<string>({
    schema: z.string(),
    expected: () => 'must be text',
    settings: ['pattern', 'maxLength'],
    check(attribute, value, globalMax) {
      // Length before pattern: a catalogue pattern never runs on an unbounded input.
      const tooLong = checkLength(value, attribute.maxLength, globalMax);
      if (tooLong) return tooLong;
      if (attribute.pattern !== undefined && !compilePattern(attribute.pattern).test(value)) {
        return { code: 'pattern', message: 'does not have the expected format' };
      }
      return undefined;
    },
    parse: (text) => text,
    trims: false,
    prefill: {
      sources: 'any',
      fitFact(attribute, fact, globalMax) {
        const limit = smallest(attribute.maxLength, globalMax);
        return limit === undefined ? fact : truncateCodePoints(fact, limit);
      },
    },
  }),
  number: defineType<number>({
    // zod refuses NaN and the infinities: JSON cannot carry them.
    schema: z.number(),
    expected: () => 'must be a number',
    settings: ['min', 'max'],
    check(attribute, value) {
      if (attribute.min !== undefined && value < attribute.min) return { code: 'min', message: `must be at least ${attribute.min}` };
      if (attribute.max !== undefined && value > attribute.max) return { code: 'max', message: `must be at most ${attribute.max}` };
      return undefined;
    },
    parse: parseDecimal,
    trims: true,
  }),
  date: defineType<string>({
    schema: z.string(),
    expected: () => 'must be a date written as YYYY-MM-DD',
    settings: [],
    check: (_attribute, value, globalMax) =>
      checkLength(value, globalMax) ?? (isCalendarDate(value) ? undefined : { code: 'date', message: 'must be a real date written as YYYY-MM-DD' }),
    parse: (text) => text,
    trims: true,
    // The received day is already `YYYY-MM-DD`; no other fact is a date.
    prefill: { sources: ['receivedDate'], fitFact: (_attribute, fact) => fact },
  }),
  choice: defineType<string>({
    schema: z.string(),
    expected: (attribute) => `must be one of: ${choiceList(attribute)}`,
    settings: ['options'],
    check: (attribute, value, globalMax) =>
      checkLength(value, globalMax) ??
      ((attribute.options ?? []).some((option) => option.value === value)
        ? undefined
        : { code: 'choice', message: `must be one of: ${choiceList(attribute)}` }),
    parse: (text) => text,
    trims: true,
  }),
  boolean: defineType<boolean>({
    schema: z.boolean(),
    expected: () => 'must be true or false',
    settings: [],
    check: () => undefined,
    parse: (text) => (text === 'true' ? true : text === 'false' ? false : undefined),
    trims: true,
    untouched: false,
  }),
};

type Rules = typeof ATTRIBUTE_TYPE_RULES;
export type AttributeType = keyof Rules;

/** The type names, in the order of the table. */
export const ATTRIBUTE_TYPES = Object.keys(ATTRIBUTE_TYPE_RULES) as [AttributeType, ...AttributeType[]];

/** A value of any attribute type. */
export type AttributeValue = Rules[AttributeType] extends infer R ? (R extends AttributeTypeRules<infer V> ? V : never) : never;

/** The rules of a type, with its value type widened to any attribute value (for code that handles every type alike). */
export function attributeType(type: AttributeType): AttributeTypeRules<AttributeValue> {
  return ATTRIBUTE_TYPE_RULES[type] as AttributeTypeRules<AttributeValue>;
}

/** Whether a message fact may fill in an attribute of this type. */
export function prefillFits(type: AttributeType, source: Prefill): boolean {
  const sources = attributeType(type).prefill?.sources;
  return sources === 'any' || (sources?.includes(source) ?? false);
}

/** Which facts fit which types, in words: "text takes any prefill, date only receivedDate". */
export function describePrefills(): string {
  return ATTRIBUTE_TYPES.flatMap((type) => {
    const sources = attributeType(type).prefill?.sources;
    if (sources === undefined) return [];
    return [sources === 'any' ? `${type} takes any prefill` : `${type} only ${sources.join(' or ')}`];
  }).join(', ');
}

/** The types that take a setting, in words: "text", "text or date". */
export function typesTaking(setting: TypeSetting): string {
  return ATTRIBUTE_TYPES.filter((type) => attributeType(type).settings.includes(setting)).join(' or ');
}
