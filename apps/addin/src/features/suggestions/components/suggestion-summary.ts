import type { Suggestion } from '@toa/api/suggestions';
import type { Attribute, Template } from '@toa/api/templates';

/**
 * What a suggestion files, in the words of the form: the template's name, then
 * its values in the template's order — a choice by its option's label, a
 * yes/no with the attribute's label ("Confidential: no"), any other value as
 * typed. Stored codes such as `HR` or `false` mean nothing to the person
 * filing. Without the template (not in the catalogue any more) the raw id
 * and values are all there is.
 */
export function describeSuggestion(suggestion: Suggestion, template: Template | undefined): string {
  const entries = Object.entries(suggestion.attributes);
  const byId = new Map((template?.attributes ?? []).map((attribute, index) => [attribute.id, { attribute, index }]));
  const order = (id: string) => byId.get(id)?.index ?? Number.MAX_SAFE_INTEGER;
  const values = entries.sort(([a], [b]) => order(a) - order(b)).map(([id, value]) => shownValue(byId.get(id)?.attribute, value));
  const name = template?.name ?? suggestion.templateId;
  return values.length > 0 ? `${name}: ${values.join(', ')}` : name;
}

function shownValue(attribute: Attribute | undefined, value: Suggestion['attributes'][string]): string {
  if (attribute?.type === 'boolean' && typeof value === 'boolean') return `${attribute.label}: ${value ? 'yes' : 'no'}`;
  if (attribute?.type === 'choice') return attribute.options?.find((option) => option.value === value)?.label || String(value);
  return String(value);
}
