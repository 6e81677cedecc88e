import type { Suggestion } from '@toa/api/suggestions';
import type { Template } from '@toa/api/templates';
import type { MessageFacts } from '@toa/api/prefill';
import { toFieldValues, valuesForTemplate } from '../../../lib/attribute-values';
import type { DocumentDraft } from '../../../lib/drafts';

/**
 * The message's form after one click on a suggestion: its template, the
 * message's own prefills, and the suggestion's values over what was typed
 * (everything stays editable). `undefined` when the template is unknown here.
 */
export function applySuggestion(
  current: DocumentDraft,
  suggestion: Suggestion,
  templates: readonly Template[],
  facts: MessageFacts,
): DocumentDraft | undefined {
  const template = templates.find((t) => t.id === suggestion.templateId);
  if (!template) return undefined;
  return { templateId: template.id, values: valuesForTemplate(template, facts, { ...current.values, ...toFieldValues(suggestion.attributes) }) };
}

/** The suggestion conversation filing pre-selects: the best one, if its reason is the same conversation. */
export function conversationSuggestion(suggestions: readonly Suggestion[]): Suggestion | undefined {
  const best = suggestions[0];
  return best?.reasons.some((r) => r.source === 'conversation') ? best : undefined;
}
