import { Caption1, Divider, makeStyles, MessageBar, MessageBarBody, Spinner, Subtitle2, Text, tokens } from '@fluentui/react-components';
import type { MessageFacts } from '@toa/api/prefill';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { DocumentForm } from '../components/document-form';
import { AttachmentList } from '../features/attachments/components/attachment-list';
import { LazyBulkFiling } from '../features/bulk-filing/lazy-bulk-filing';
import { hasStoredBulkJob } from '../features/bulk-filing/stored-job';
import { DomainPicker } from '../features/domains/components/domain-picker';
import { RecentImports } from '../features/history/components/recent-imports';
import { EarlierImports } from '../features/import-flow/components/earlier-imports';
import { ImportPanel } from '../features/import-flow/components/import-panel';
import { MESSAGE_DOCUMENT, useImportFlow } from '../features/import-flow/hooks/use-import-flow';
import { useLastValues } from '../features/templates/api/use-last-values';
import { useTemplates } from '../features/templates/api/use-templates';
import { useCurrentMessage } from '../hooks/use-current-message';
import { useMessageDraft } from '../hooks/use-message-draft';
import { useSelectedMessages } from '../hooks/use-selected-messages';
import { applySuggestion } from '../features/suggestions/components/apply-suggestion';
import { SuggestionList } from '../features/suggestions/components/suggestion-list';
import type { Suggestion } from '@toa/api/suggestions';
import { ApiError } from '../lib/api-client';
import { errorText } from '../lib/error-text';
import { canReadEml, type CurrentMessage, messageKeyOf } from '../lib/office/mailbox';

const useStyles = makeStyles({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    padding: tokens.spacingHorizontalM,
    maxWidth: '640px',
    boxSizing: 'border-box',
  },
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS, minWidth: 0 },
  heading: { margin: 0 },
  subject: { overflowWrap: 'anywhere' },
});

function factsOf(message: CurrentMessage | undefined): MessageFacts {
  return {
    subject: message?.subject,
    fromName: message?.fromName,
    fromAddress: message?.fromAddress,
    receivedAt: message?.receivedAt,
  };
}

/**
 * The pane: domain, the message's document, its attachments, Import, and
 * recent imports; with several messages selected, the bulk filing form, and
 * while a bulk filing runs (or a reload left one), its queue.
 */
export function App() {
  const styles = useStyles();
  const message = useCurrentMessage();
  const selection = useSelectedMessages();
  // the bulk filing's code is loaded once it is first needed, and then kept
  const [bulkShown, setBulkShown] = useState(hasStoredBulkJob);
  if (!bulkShown && selection.messages.length > 1) setBulkShown(true);
  const messageKey = messageKeyOf(message);
  const { draft, update } = useMessageDraft(messageKey);
  const templates = useTemplates(draft.domain);
  const templateList = templates.data?.templates ?? [];
  const limits = templates.data?.limits;
  const facts = useMemo(() => factsOf(message), [message]);
  const flow = useImportFlow({ domain: draft.domain, messageKey, message, draft, templates: templateList, limits });
  const [historyKey, setHistoryKey] = useState(0);
  // what was just filed (one message, or a bulk filing once closed) is the next message's default
  const lastValues = useLastValues(draft.domain, historyKey);

  // A finished import shows up in the history and in the earlier-imports notice.
  const finished = flow.state.phase === 'submitted' || flow.state.phase === 'failed';
  useEffect(() => {
    if (finished) setHistoryKey((k) => k + 1);
  }, [finished]);

  const setDomain = useCallback((domain: string | undefined) => update((d) => ({ ...d, domain })), [update]);
  const fillFromSuggestion = useCallback(
    (suggestion: Suggestion) =>
      update((d) => {
        const filled = applySuggestion(d.message, suggestion, templateList, facts);
        return filled ? { ...d, domain: suggestion.domain, message: filled } : d;
      }),
    [update, templateList, facts],
  );

  const templatesNotice = (
    <>
      {templates.status === 'loading' && <Spinner size="tiny" label="Loading templates…" />}
      {templates.status === 'error' && (
        <MessageBar intent="error">
          <MessageBarBody>
            {templates.error instanceof ApiError && templates.error.code === 'CATALOGUE_UNAVAILABLE'
              ? 'This domain has no template catalogue right now. Try again later or ask your administrator.'
              : `The templates could not be loaded: ${errorText(templates.error)}`}
          </MessageBarBody>
        </MessageBar>
      )}
    </>
  );

  const blockedReason = !canReadEml()
    ? 'This version of Outlook cannot hand the whole message to add-ins (Mailbox 1.14 is needed). Use new Outlook, Outlook on the web or an updated classic Outlook.'
    : !draft.domain
      ? 'Choose an archive domain.'
      : templates.status !== 'ready'
        ? 'The templates of this domain are not loaded.'
        : undefined;

  const single = !message ? (
    <MessageBar intent="info">
      <MessageBarBody>Select a message to file it into the archive.</MessageBarBody>
    </MessageBar>
  ) : (
    <>
      <header className={styles.section}>
        <Text weight="semibold" className={styles.subject}>
          {message.subject || '(no subject)'}
        </Text>
        <Caption1>{message.fromName ?? message.fromAddress ?? 'Unknown sender'}</Caption1>
      </header>

      <EarlierImports domain={draft.domain} messageId={message.internetMessageId} refreshKey={historyKey} resumableId={flow.resumable?.id} />

      <DomainPicker value={draft.domain} onChange={setDomain} />

      {templatesNotice}

      {templates.status === 'ready' && (
        <>
          <SuggestionList
            domain={draft.domain}
            message={message}
            templates={templateList}
            chosen={draft.message.templateId !== undefined}
            onApply={fillFromSuggestion}
          />
          <section className={styles.section} aria-labelledby="toa-message-heading">
            <Subtitle2 as="h2" id="toa-message-heading" className={styles.heading}>
              Message
            </Subtitle2>
            <DocumentForm
              templateLabel="Template for the message"
              templates={templateList}
              draft={draft.message}
              onChange={(next) => update((d) => ({ ...d, message: next }))}
              facts={facts}
              lastValues={lastValues}
              serverErrors={flow.serverErrors[MESSAGE_DOCUMENT]}
              showAllErrors={flow.showAllErrors}
              limits={limits}
            />
          </section>
          <section className={styles.section} aria-labelledby="toa-attachments-heading">
            <Subtitle2 as="h2" id="toa-attachments-heading" className={styles.heading}>
              Attachments
            </Subtitle2>
            <AttachmentList
              attachments={message.attachments}
              protection={message.protection}
              drafts={draft.attachments}
              onChange={(id, next) => update((d) => ({ ...d, attachments: { ...d.attachments, [id]: next } }))}
              templates={templateList}
              messageDocument={draft.message}
              facts={facts}
              lastValues={lastValues}
              serverErrors={flow.serverErrors}
              showAllErrors={flow.showAllErrors}
              limits={limits}
            />
          </section>
        </>
      )}

      <ImportPanel flow={flow} blockedReason={blockedReason} />

      <Divider />
      <section className={styles.section} aria-labelledby="toa-recent-heading">
        <Subtitle2 as="h2" id="toa-recent-heading" className={styles.heading}>
          Recent imports
        </Subtitle2>
        <RecentImports domain={draft.domain} refreshKey={historyKey} />
      </section>
    </>
  );

  return (
    <main className={styles.root}>
      {bulkShown ? (
        <LazyBulkFiling
          selection={selection}
          header={
            <>
              <DomainPicker value={draft.domain} onChange={setDomain} />
              {templatesNotice}
            </>
          }
          form={templates.status === 'ready' && draft.domain ? { domain: draft.domain, templates: templateList, limits, lastValues } : undefined}
          onClosed={() => setHistoryKey((k) => k + 1)}
        >
          {single}
        </LazyBulkFiling>
      ) : (
        single
      )}
    </main>
  );
}
