import { isCalendarDate, truncateCodePoints } from './attributes.js';
import type { Attributes } from './imports.js';
import type { Attribute, Prefill, Template } from './templates.js';

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
 * zone, i.e. the user's in the task pane).
 */
export function initialAttributes(template: Template, facts: MessageFacts, timeZone?: string): Attributes {
  const values: Attributes = {};
  for (const attribute of template.attributes) {
    if (attribute.serverGenerated) continue;
    const value = prefilledValue(attribute, facts, timeZone) ?? attribute.default;
    if (value !== undefined) values[attribute.id] = value;
  }
  return values;
}

function prefilledValue(attribute: Attribute, facts: MessageFacts, timeZone: string | undefined): string | undefined {
  if (attribute.prefill === undefined) return undefined;
  const fact = factFor(attribute.prefill, facts, timeZone);
  if (fact === undefined) return undefined;
  if (attribute.type === 'text') {
    return attribute.maxLength === undefined ? fact : truncateCodePoints(fact, attribute.maxLength);
  }
  // A date takes only the received date; other types have no message fact that fits them.
  return attribute.type === 'date' && attribute.prefill === 'receivedDate' ? fact : undefined;
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
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
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
