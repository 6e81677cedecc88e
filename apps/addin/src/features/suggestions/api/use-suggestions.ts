import type { CurrentMessage } from '../../../lib/office/mailbox';
import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';

/** How many suggestions the pane shows above the form. */
export const SHOWN_SUGGESTIONS = 3;

/**
 * Filing suggestions for the message on screen in `domain`, best first, asked
 * for as soon as both are known; an answer for a message no longer shown is dropped.
 */
export function useSuggestions(domain: string | undefined, message: CurrentMessage | undefined) {
  const client = useApiClient();
  return useAsync(
    domain && message
      ? () =>
          client.suggestions(domain, {
            internetMessageId: message.internetMessageId,
            conversationId: message.conversationId,
            from: message.fromAddress,
            to: message.to ?? [],
            cc: message.cc ?? [],
            subject: message.subject,
            attachments: message.attachments.map((a) => a.name),
            limit: SHOWN_SUGGESTIONS,
          })
      : undefined,
    [client, domain, message],
  );
}
