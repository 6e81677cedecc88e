import { Button, Caption1, makeStyles, MessageBar, MessageBarBody, Spinner, Subtitle2, Text, tokens } from '@fluentui/react-components';
import type { Attributes } from '@toa/api/imports';
import type { MessageFacts } from '@toa/api/prefill';
import type { Suggestion } from '@toa/api/suggestions';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { useState } from 'react';
import { AttributeForm } from '../../../components/attribute-form';
import { TemplatePicker } from '../../../components/template-picker';
import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';
import { type FieldValues, toFieldValues, validateDocument, valuesForTemplate } from '../../../lib/attribute-values';
import { errorText } from '../../../lib/error-text';
import { formatDateTime } from '../../../lib/format';
import { type CurrentMessage, messageKeyOf } from '../../../lib/office/mailbox';
import { readMessageDetails, type SelectedMessage } from '../../../lib/office/selection';
import { useSuggestions } from '../../suggestions/api/use-suggestions';
import type { BulkJob } from '../queue/bulk-job';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, minWidth: 0 },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  item: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
    paddingTop: tokens.spacingVerticalS,
    borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    minWidth: 0,
  },
  subject: { overflowWrap: 'anywhere' },
  heading: { margin: 0 },
  suggestion: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', flexWrap: 'wrap' },
});

export interface BulkFormProps {
  domain: string;
  templates: readonly Template[];
  limits?: AttributeLimits;
  lastValues?: Readonly<Record<string, Attributes>>;
  selection: readonly SelectedMessage[];
  onStart: (job: BulkJob) => void;
}

/** A selected message with what Outlook tells of it once loaded. */
type Loaded = { itemId: string; details: CurrentMessage };

function factsOf(details: CurrentMessage): MessageFacts {
  return { subject: details.subject, fromName: details.fromName, fromAddress: details.fromAddress, receivedAt: details.receivedAt };
}

/** The template split in two: what every message shares, and what each message fills from itself (subject, date, sender). */
function partsOf(template: Template, own: FieldValues = {}): { shared: Template; own: Template } {
  const isOwn = (id: string, prefill: unknown) => prefill !== undefined || id in own;
  return {
    shared: { ...template, attributes: template.attributes.filter((a) => !isOwn(a.id, a.prefill)) },
    own: { ...template, attributes: template.attributes.filter((a) => isOwn(a.id, a.prefill)) },
  };
}

/**
 * Filing several selected messages in one go: one template and one set of
 * values for all, each message with the values it brings itself (pre-filled
 * from its subject, date and sender, editable), its best suggestion and a
 * warning where it was filed before. Nothing is filed until "File N messages".
 */
export function BulkForm({ domain, templates, limits, lastValues, selection, onStart }: BulkFormProps) {
  const styles = useStyles();
  const [templateId, setTemplateId] = useState<string>();
  const [shared, setShared] = useState<FieldValues>({});
  const [own, setOwn] = useState<Record<string, FieldValues>>({});
  const [showAllErrors, setShowAllErrors] = useState(false);
  const template = templates.find((t) => t.id === templateId);
  // Each message is loaded once, one after the other (Office loads one at a time).
  const ids = selection.map((s) => s.itemId).join('\n');
  const loaded = useAsync(async () => {
    const out: Loaded[] = [];
    for (const { itemId } of selection) out.push({ itemId, details: await readMessageDetails(itemId) });
    return out;
  }, [ids]);

  const chooseTemplate = (next: Template | undefined, messages: readonly Loaded[], extra: Record<string, FieldValues> = {}) => {
    setTemplateId(next?.id);
    if (!next) return;
    setShared((current) => valuesForTemplate(partsOf(next).shared, {}, current, limits, lastValues?.[next.id]));
    setOwn((current) => {
      const values: Record<string, FieldValues> = {};
      for (const { itemId, details } of messages) {
        const mine = { ...(current[itemId] ?? {}), ...(extra[itemId] ?? {}) };
        values[itemId] = valuesForTemplate(partsOf(next, mine).own, factsOf(details), mine, limits);
      }
      return values;
    });
  };

  if (loaded.status === 'loading' || loaded.status === 'idle') return <Spinner size="tiny" label={`Reading ${selection.length} selected messages…`} />;
  if (loaded.status === 'error') {
    return (
      <MessageBar intent="error">
        <MessageBarBody>The selected messages could not be read: {errorText(loaded.error)}</MessageBarBody>
      </MessageBar>
    );
  }
  const messages = loaded.data;

  /** One click on a message's suggestion: its values become that message's own (the template too, while none is chosen). */
  const apply = (itemId: string, suggestion: Suggestion) => {
    const target = template ?? templates.find((t) => t.id === suggestion.templateId);
    if (!target || target.id !== suggestion.templateId) return;
    chooseTemplate(target, messages, { [itemId]: toFieldValues(suggestion.attributes) });
  };

  const problems = template ? messages.filter(({ itemId }) => Object.keys(validateDocument(template, { ...shared, ...own[itemId] }, limits)).length > 0) : [];

  const start = () => {
    setShowAllErrors(true);
    if (!template || problems.length > 0) return;
    onStart({
      domain,
      templateId: template.id,
      shared,
      items: messages.map(({ itemId, details }) => ({
        itemId,
        key: messageKeyOf(details) ?? itemId,
        subject: details.subject,
        values: own[itemId] ?? {},
        state: 'queued',
      })),
      startedAt: Date.now(),
    });
  };

  return (
    <section className={styles.root} aria-labelledby="toa-bulk-heading">
      <Subtitle2 as="h2" id="toa-bulk-heading" className={styles.heading}>
        {messages.length} messages selected
      </Subtitle2>
      <TemplatePicker
        label="Template for all messages"
        templates={templates}
        value={templateId}
        missing={showAllErrors && !template ? 'Choose a template' : undefined}
        onChange={(next) => chooseTemplate(next, messages)}
      />
      {template && (
        <section aria-label="Values for all messages">
          <AttributeForm
            template={partsOf(template).shared}
            values={shared}
            onChange={(id, value) => setShared((current) => ({ ...current, [id]: value }))}
            showAllErrors={showAllErrors}
            limits={limits}
          />
        </section>
      )}
      <ul className={styles.list} aria-label="Selected messages">
        {messages.map(({ itemId, details }) => (
          <li key={itemId} className={styles.item} aria-label={details.subject || '(no subject)'}>
            <Text weight="semibold" className={styles.subject}>
              {details.subject || '(no subject)'}
            </Text>
            <Caption1>
              {details.fromName ?? details.fromAddress ?? 'Unknown sender'}
              {details.receivedAt ? ` · ${formatDateTime(details.receivedAt)}` : ''}
            </Caption1>
            <FiledBefore domain={domain} messageId={details.internetMessageId} />
            <BestSuggestion domain={domain} message={details} templates={templates} chosen={template} onApply={(s) => apply(itemId, s)} />
            {template && partsOf(template, own[itemId]).own.attributes.length > 0 && (
              <AttributeForm
                template={partsOf(template, own[itemId]).own}
                values={own[itemId] ?? {}}
                onChange={(id, value) => setOwn((current) => ({ ...current, [itemId]: { ...current[itemId], [id]: value } }))}
                hints={{}}
                showAllErrors={showAllErrors}
                limits={limits}
              />
            )}
          </li>
        ))}
      </ul>
      {showAllErrors && problems.length > 0 && (
        <MessageBar intent="error">
          <MessageBarBody>Some fields need attention: {problems.map((p) => p.details.subject || '(no subject)').join(', ')}.</MessageBarBody>
        </MessageBar>
      )}
      <Button appearance="primary" onClick={start}>
        File {messages.length} messages
      </Button>
    </section>
  );
}

/** The warning that a message was imported before: filed ones are skipped, unfinished ones filed anew. */
function FiledBefore({ domain, messageId }: { domain: string; messageId: string | undefined }) {
  const client = useApiClient();
  const earlier = useAsync(messageId ? () => client.listImports(domain, { messageId, limit: 50 }) : undefined, [client, domain, messageId]);
  if (earlier.status !== 'ready' || earlier.data.items.length === 0) return null;
  const filed = earlier.data.items.find((i) => i.status === 'SUBMITTED' || i.status === 'PENDING');
  const newest = earlier.data.items[0];
  return (
    <MessageBar intent="warning">
      <MessageBarBody>
        {filed
          ? `Already filed on ${formatDateTime(filed.createdAt)}${filed.damisBatchId ? `, batch ${filed.damisBatchId}` : ''}: it will be skipped.`
          : `Imported before without reaching the archive (${newest?.status.toLowerCase()}, ${formatDateTime(newest?.createdAt ?? '')}): it will be filed.`}
      </MessageBarBody>
    </MessageBar>
  );
}

/** The message's best filing suggestion with its reason; its values become the message's own on one click. */
function BestSuggestion({
  domain,
  message,
  templates,
  chosen,
  onApply,
}: {
  domain: string;
  message: CurrentMessage;
  templates: readonly Template[];
  chosen: Template | undefined;
  onApply: (suggestion: Suggestion) => void;
}) {
  const styles = useStyles();
  const suggestions = useSuggestions(domain, message);
  const best = suggestions.data?.suggestions.find((s) => s.domain === domain);
  const template = best && templates.find((t) => t.id === best.templateId);
  if (!best || !template) return null;
  const usable = !chosen || chosen.id === template.id;
  return (
    <div className={styles.suggestion}>
      <Caption1>
        Suggested: {template.name} — {best.reasons[0]?.text}
      </Caption1>
      {usable && (
        <Button size="small" onClick={() => onApply(best)} aria-label={`Use the suggestion for ${message.subject || 'this message'}`}>
          Use
        </Button>
      )}
    </div>
  );
}
