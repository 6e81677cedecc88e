import type { Suggestion } from '@toa/api/suggestions';
import type { Template } from '@toa/api/templates';
import type { MessageFacts } from '@toa/api/prefill';
import { toFieldValues, prefillForTemplate } from '../../../lib/attribute-values';
import type { DocumentDraft } from '../../../lib/drafts';
import type { ValueOrigins } from '../../../lib/inherited-values';

/**
 * The message's form after one click on a suggestion: its template, the
 * message's own prefills, and the suggestion's values (origin `suggestion`)
 * over what was typed (everything stays editable). `undefined` when the
 * template is unknown here.
 */
export function applySuggestion(
  current: DocumentDraft,
  suggestion: Suggestion,
  templates: readonly Template[],
  facts: MessageFacts,
): DocumentDraft | undefined {
  const template = templates.find((t) => t.id === suggestion.templateId);
  if (!template) return undefined;
  const suggested = toFieldValues(suggestion.attributes);
  const origins: ValueOrigins = { ...current.origins };
  for (const id of Object.keys(suggested)) origins[id] = 'suggestion';
  return { templateId: template.id, ...prefillForTemplate(template, facts, { values: { ...current.values, ...suggested }, origins }) };
}

/** The suggestion conversation filing pre-selects: the best one, if its reason is the same conversation. */
export function conversationSuggestion(suggestions: readonly Suggestion[]): Suggestion | undefined {
  const best = suggestions[0];
  return best?.reasons.some((r) => r.source === 'conversation') ? best : undefined;
}
