import { Button, Caption1, makeStyles, Subtitle2, Switch, tokens } from '@fluentui/react-components';
import type { Suggestion } from '@toa/api/suggestions';
import type { Template } from '@toa/api/templates';
import { useEffect, useRef } from 'react';
import type { CurrentMessage } from '../../../lib/office/mailbox';
import { useSuggestions } from '../api/use-suggestions';
import { useConversationFiling } from '../hooks/use-conversation-filing';
import { conversationSuggestion } from './apply-suggestion';
import { describeSuggestion } from './suggestion-summary';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  item: { display: 'flex', flexDirection: 'column', alignItems: 'start' },
});

export interface SuggestionListProps {
  domain: string | undefined;
  message: CurrentMessage | undefined;
  templates: readonly Template[];
  /** the message's form has a template chosen already: conversation filing leaves it alone */
  chosen: boolean;
  onApply: (suggestion: Suggestion) => void;
}

/**
 * The top filing suggestions for the message, each with its reason; a click
 * fills the form (nothing is filed until Import). With conversation filing on,
 * a message of a conversation filed before opens with that filing applied.
 */
export function SuggestionList({ domain, message, templates, chosen, onApply }: SuggestionListProps) {
  const styles = useStyles();
  const suggestions = useSuggestions(domain, message);
  const [conversationFiling, setConversationFiling] = useConversationFiling();
  const list = suggestions.data?.suggestions ?? [];
  const applied = useRef<Suggestion | undefined>(undefined);

  const preselect = conversationFiling && !chosen ? conversationSuggestion(list) : undefined;
  useEffect(() => {
    if (preselect && applied.current !== preselect) {
      applied.current = preselect;
      onApply(preselect);
    }
  }, [preselect, onApply]);

  return (
    <section className={styles.root} aria-labelledby="toa-suggestions-heading">
      <Subtitle2 as="h2" id="toa-suggestions-heading">
        Suggestions
      </Subtitle2>
      {list.length === 0 && <Caption1>{suggestions.status === 'loading' ? 'Looking for earlier filings…' : 'No suggestion for this message.'}</Caption1>}
      {list.map((s) => (
        <div key={`${s.domain}/${s.templateId}/${JSON.stringify(s.attributes)}`} className={styles.item}>
          <Button appearance="subtle" onClick={() => onApply(s)}>
            {describeSuggestion(
              s,
              templates.find((t) => t.id === s.templateId),
            )}
          </Button>
          <Caption1>{s.reasons[0]?.text}</Caption1>
        </div>
      ))}
      <Switch
        checked={conversationFiling}
        onChange={(_, data) => setConversationFiling(data.checked)}
        label="Conversation filing: pre-select the filing of earlier messages of the conversation"
      />
    </section>
  );
}
