import { attributeType, prefillFits } from './attribute-types.js';
import { isCalendarDate } from './calendar-date.js';
import type { Attributes } from './imports.js';
import type { Attribute, Prefill, Template } from './templates.js';
import { isBlank } from './text.js';

/** What the task pane read from the message, as far as it could. */
export interface MessageFacts {
  subject?: string;
  fromName?: string;
  fromAddress?: string;
  /** ISO 8601 instant */
  receivedAt?: string;
}

/**
 * The values a new document's form starts with: the message facts the
 * template asks for, else the template's defaults. Server-generated attributes
 * are left out (the client never sends them); so is anything with neither.
 * `receivedDate` is the calendar day in `timeZone` (default: the runtime's
 * zone, i.e. the user's in the task pane). A fact is fitted to its attribute
 * by the type's rules (text is cut to the smaller of the attribute's
 * `maxLength` and `globalMax`, the server's `limits.attributeLength`).
 */
export function initialAttributes(template: Template, facts: MessageFacts, timeZone?: string, globalMax?: number): Attributes {
  const values: Attributes = {};
  for (const attribute of template.attributes) {
    if (attribute.serverGenerated) continue;
    const value = prefilledValue(attribute, facts, timeZone, globalMax) ?? attribute.default;
    if (value !== undefined) values[attribute.id] = value;
  }
  return values;
}

function prefilledValue(attribute: Attribute, facts: MessageFacts, timeZone: string | undefined, globalMax: number | undefined): string | undefined {
  const source = attribute.prefill;
  // A fact goes only into a type it fits (the catalogue loader refuses the others).
  if (source === undefined || !prefillFits(attribute.type, source)) return undefined;
  const fact = factFor(source, facts, timeZone);
  const fitFact = attributeType(attribute.type).prefill?.fitFact;
  return fact === undefined || fitFact === undefined ? undefined : fitFact(attribute, fact, globalMax);
}

function factFor(prefill: Prefill, facts: MessageFacts, timeZone: string | undefined): string | undefined {
  switch (prefill) {
    case 'subject':
      return nonBlank(facts.subject);
    case 'fromName':
      // A sender without a display name is still best identified by the address.
      return nonBlank(facts.fromName) ?? nonBlank(facts.fromAddress);
    case 'fromAddress':
      return nonBlank(facts.fromAddress);
    case 'receivedDate':
      return facts.receivedAt === undefined ? undefined : calendarDay(facts.receivedAt, timeZone);
  }
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || isBlank(value) ? undefined : value.trim();
}

/** `YYYY-MM-DD` of an instant in a zone; `undefined` for an unreadable instant. */
function calendarDay(isoInstant: string, timeZone: string | undefined): string | undefined {
  const instant = new Date(isoInstant);
  if (Number.isNaN(instant.getTime())) return undefined;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const day = `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
  // Instants after the year 9999 have no YYYY-MM-DD form.
  return isCalendarDate(day) ? day : undefined;
}
