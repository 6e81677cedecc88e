import { isMissing } from '@toa/api/attributes';
import { truncateCodePoints } from '@toa/api/text';
import type { Attribute, AttributeLimits, Template } from '@toa/api/templates';
import { editableAttributes, type FieldValues } from './attribute-values';

/**
 * Where a value the pane filled in came from, told under its field until the
 * user edits it: the message itself (subject, sender, date: the template's
 * `prefill`), the message's document (an extracted attachment inheriting its
 * values), the attachment's file name (its title), the values the user last
 * filed with the template, or a filing suggestion they chose.
 */
export const VALUE_ORIGINS = ['message', 'messageDocument', 'fileName', 'lastFiled', 'suggestion'] as const;
export type ValueOrigin = (typeof VALUE_ORIGINS)[number];
/** attribute id → where its value came from; absent ids were typed, or hold the template's default */
export type ValueOrigins = Record<string, ValueOrigin>;

export const ORIGIN_HINT: Record<ValueOrigin, string> = {
  message: 'from the message',
  messageDocument: 'from the message’s document',
  fileName: 'from the file name',
  lastFiled: 'as last filed',
  suggestion: 'from the suggestion',
};

/** The notes under the fields of a form: attribute id → where its value came from ("as last filed"). */
export function originHints(origins: ValueOrigins | undefined): Record<string, string> {
  const hints: Record<string, string> = {};
  for (const [id, origin] of Object.entries(origins ?? {})) hints[id] = ORIGIN_HINT[origin];
  return hints;
}

/**
 * Whether an attribute holds a document's title: a text attribute whose id
 * or label is "title" (any case). The catalogue has no title role of its
 * own, so the name is the convention (docs/templates.md, "Extracted
 * attachments").
 */
export function isTitleAttribute(attribute: Attribute): boolean {
  return attribute.type === 'text' && (attribute.id.toLowerCase() === 'title' || attribute.label.trim().toLowerCase() === 'title');
}

/** A file name without its last extension ("Q3 report.final.pdf" → "Q3 report.final"); a dot-file keeps its name. */
export function fileTitle(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return (dot > 0 ? fileName.slice(0, dot) : fileName).trim();
}

export interface InheritedValues {
  values: FieldValues;
  origins: ValueOrigins;
}

/**
 * The values a document extracted from an attachment inherits, over what its
 * own template pre-fills: the message document's value of every editable
 * attribute the two templates share (same id and same type: a value of
 * another type could be invalid, so it is not taken), and the attachment's
 * file name, without extension and cut to `maxLength`/`limits.attributeLength`
 * code points, in its title attribute (the file names the attachment better
 * than the message does). Blank message values are not inherited.
 */
export function inheritedValues(
  template: Template,
  message: { template: Template | undefined; values: FieldValues },
  fileName: string,
  limits?: AttributeLimits,
): InheritedValues {
  const values: FieldValues = {};
  const origins: ValueOrigins = {};
  const messageAttributes = new Map((message.template ? editableAttributes(message.template) : []).map((a) => [a.id, a]));
  for (const attribute of editableAttributes(template)) {
    const shared = messageAttributes.get(attribute.id);
    const value = message.values[attribute.id];
    if (shared?.type === attribute.type && value !== undefined && !isMissing(value)) {
      values[attribute.id] = value;
      origins[attribute.id] = 'messageDocument';
    }
  }
  const title = editableAttributes(template).find(isTitleAttribute);
  const name = fileTitle(fileName);
  if (title && name !== '') {
    const max = [title.maxLength, limits?.attributeLength].filter((n): n is number => n !== undefined);
    values[title.id] = max.length > 0 ? truncateCodePoints(name, Math.min(...max)) : name;
    origins[title.id] = 'fileName';
  }
  return { values, origins };
}
