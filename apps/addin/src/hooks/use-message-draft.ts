import { useCallback, useEffect, useState } from 'react';
import { emptyDraft, loadDraft, type MessageDraft, saveDraft } from '../lib/drafts';

const LAST_DOMAIN_KEY = 'toa.lastDomain';

function initialDraft(messageKey: string | undefined): MessageDraft {
  const stored = messageKey ? loadDraft(messageKey) : undefined;
  return stored ?? { ...emptyDraft(), domain: lastDomain() };
}

/** The domain the form of `messageKey` opens on: its draft's, else the user's last one; the pane reads its templates first. */
export function startingDomain(messageKey: string | undefined): string | undefined {
  return initialDraft(messageKey).domain;
}

function lastDomain(): string | undefined {
  try {
    return localStorage.getItem(LAST_DOMAIN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The form state of one message, saved as it changes: switching messages in a
 * pinned pane, a reload or a failed step never loses what the user typed.
 */
export function useMessageDraft(messageKey: string | undefined) {
  const [state, setState] = useState(() => ({ key: messageKey, draft: initialDraft(messageKey) }));
  // Another message: load its draft (render-time switch, so no frame shows the old form).
  const current = state.key === messageKey ? state : { key: messageKey, draft: initialDraft(messageKey) };
  if (current !== state) setState(current);

  useEffect(() => {
    // Merely looking at a message leaves nothing behind.
    const touched = current.draft.message.templateId !== undefined || Object.keys(current.draft.attachments).length > 0;
    if (current.key && touched) saveDraft(current.key, current.draft);
  }, [current]);

  const update = useCallback(
    (change: (draft: MessageDraft) => MessageDraft) =>
      setState((previous) => {
        const draft = change(previous.draft);
        if (draft.domain && draft.domain !== previous.draft.domain) {
          try {
            localStorage.setItem(LAST_DOMAIN_KEY, draft.domain);
          } catch {
            // only a convenience for the next message
          }
        }
        return { key: previous.key, draft };
      }),
    [],
  );

  // The import flow drops the draft once the archive has the message.
  return { draft: current.draft, update };
}
