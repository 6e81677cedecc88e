import { Button, Caption1, makeStyles, MessageBar, MessageBarBody, Spinner, Subtitle2, Text, tokens } from '@fluentui/react-components';
import type { Attributes, ImportSummary } from '@toa/api/imports';
import type { MessageFacts } from '@toa/api/prefill';
import type { Suggestion } from '@toa/api/suggestions';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { useState } from 'react';
import { AttributeForm } from '../../../components/attribute-form';
import { TemplatePicker } from '../../../components/template-picker';
import { useAsync } from '../../../hooks/use-async';
import { useApiClient } from '../../../lib/api-client-context';
import { type FieldValue, type FieldValues, type PrefilledValues, prefillForTemplate, toFieldValues, validateDocument } from '../../../lib/attribute-values';
import { errorText } from '../../../lib/error-text';
import { formatDateTime } from '../../../lib/format';
import { originHints, type ValueOrigins } from '../../../lib/inherited-values';
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

const NO_VALUES: PrefilledValues = { values: {}, origins: {} };

/** `form` with `id` set by hand: the value is the user's own, its origin note goes. */
function edited(form: PrefilledValues, id: string, value: FieldValue): PrefilledValues {
  const { [id]: _typed, ...origins } = form.origins;
  return { values: { ...form.values, [id]: value }, origins };
}

/** Earlier imports that count as filed (the queue skips the message): the archive has them, or is being asked. */
function filedImport(earlier: readonly ImportSummary[] | undefined): ImportSummary | undefined {
  return earlier?.find((i) => i.status === 'SUBMITTED' || i.status === 'PENDING');
}

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
  // each value with where it came from, told under its field as in the form for one message
  const [shared, setShared] = useState<PrefilledValues>(NO_VALUES);
  const [own, setOwn] = useState<Record<string, PrefilledValues>>({});
  const [showAllErrors, setShowAllErrors] = useState(false);
  const template = templates.find((t) => t.id === templateId);
  // Each message is loaded once, one after the other (Office loads one at a time).
  const ids = selection.map((s) => s.itemId).join('\n');
  const loaded = useAsync(async () => {
    const out: Loaded[] = [];
    for (const { itemId } of selection) out.push({ itemId, details: await readMessageDetails(itemId) });
    return out;
  }, [ids]);
  // each message's earlier imports: one filed before is skipped, so it is neither counted nor checked
  const client = useApiClient();
  const earlier = useAsync(
    loaded.status === 'ready'
      ? async () => {
          const byItem = new Map<string, readonly ImportSummary[]>();
          await Promise.all(
            loaded.data.map(async ({ itemId, details }) => {
              const messageId = details.internetMessageId;
              if (messageId) byItem.set(itemId, (await client.listImports(domain, { messageId, limit: 50 })).items);
            }),
          );
          return byItem;
        }
      : undefined,
    [client, domain, loaded.status],
  );

  /** `next` for every message; `suggested` values (one message's suggestion) become that message's own. */
  const chooseTemplate = (next: Template | undefined, messages: readonly Loaded[], suggested: Record<string, FieldValues> = {}) => {
    setTemplateId(next?.id);
    if (!next) return;
    setShared((current) => prefillForTemplate(partsOf(next).shared, {}, current, limits, lastValues?.[next.id]));
    setOwn((current) => {
      const forms: Record<string, PrefilledValues> = {};
      for (const { itemId, details } of messages) {
        const mine = current[itemId] ?? NO_VALUES;
        const values = { ...mine.values, ...suggested[itemId] };
        const origins: ValueOrigins = { ...mine.origins };
        for (const id of Object.keys(suggested[itemId] ?? {})) origins[id] = 'suggestion';
        forms[itemId] = prefillForTemplate(partsOf(next, values).own, factsOf(details), { values, origins }, limits);
      }
      return forms;
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
  const filedBefore = (itemId: string) => filedImport(earlier.data?.get(itemId));
  const toFile = messages.filter(({ itemId }) => !filedBefore(itemId));

  /** One click on a message's suggestion: its values become that message's own (the template too, while none is chosen). */
  const apply = (itemId: string, suggestion: Suggestion) => {
    const target = template ?? templates.find((t) => t.id === suggestion.templateId);
    if (!target || target.id !== suggestion.templateId) return;
    chooseTemplate(target, messages, { [itemId]: toFieldValues(suggestion.attributes) });
  };

  const problems = template
    ? toFile.filter(({ itemId }) => Object.keys(validateDocument(template, { ...shared.values, ...own[itemId]?.values }, limits)).length > 0)
    : [];

  const start = () => {
    setShowAllErrors(true);
    if (!template || problems.length > 0 || toFile.length === 0) return;
    onStart({
      domain,
      templateId: template.id,
      shared: shared.values,
      // a message filed before goes too: the queue checks again, and skips it with a note
      items: messages.map(({ itemId, details }) => ({
        itemId,
        key: messageKeyOf(details) ?? itemId,
        subject: details.subject,
        values: own[itemId]?.values ?? {},
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
            values={shared.values}
            onChange={(id, value) => setShared((current) => edited(current, id, value))}
            hints={originHints(shared.origins)}
            showAllErrors={showAllErrors}
            limits={limits}
          />
        </section>
      )}
      <ul className={styles.list} aria-label="Selected messages">
        {messages.map(({ itemId, details }) => {
          const mine = own[itemId] ?? NO_VALUES;
          const ownPart = template && partsOf(template, mine.values).own;
          const filed = filedBefore(itemId);
          return (
            <li key={itemId} className={styles.item} aria-label={details.subject || '(no subject)'}>
              <Text weight="semibold" className={styles.subject}>
                {details.subject || '(no subject)'}
              </Text>
              <Caption1>
                {details.fromName ?? details.fromAddress ?? 'Unknown sender'}
                {details.receivedAt ? ` · ${formatDateTime(details.receivedAt)}` : ''}
              </Caption1>
              <FiledBefore earlier={earlier.data?.get(itemId)} />
              {/* a message filed before is skipped: nothing of it is filled in */}
              {!filed && <BestSuggestion domain={domain} message={details} templates={templates} chosen={template} onApply={(s) => apply(itemId, s)} />}
              {!filed && ownPart && ownPart.attributes.length > 0 && (
                <AttributeForm
                  template={ownPart}
                  values={mine.values}
                  onChange={(id, value) => setOwn((current) => ({ ...current, [itemId]: edited(current[itemId] ?? NO_VALUES, id, value) }))}
                  hints={originHints(mine.origins)}
                  showAllErrors={showAllErrors}
                  limits={limits}
                />
              )}
            </li>
          );
        })}
      </ul>
      {showAllErrors && problems.length > 0 && (
        <MessageBar intent="error">
          <MessageBarBody>Some fields need attention: {problems.map((p) => p.details.subject || '(no subject)').join(', ')}.</MessageBarBody>
        </MessageBar>
      )}
      <Button appearance="primary" onClick={start} disabled={toFile.length === 0}>
        {toFile.length === 0 ? 'Every message was filed before' : `File ${toFile.length} ${toFile.length === 1 ? 'message' : 'messages'}`}
      </Button>
    </section>
  );
}

/** The warning that a message was imported before: filed ones are skipped, unfinished ones filed anew. */
function FiledBefore({ earlier }: { earlier: readonly ImportSummary[] | undefined }) {
  if (!earlier || earlier.length === 0) return null;
  const filed = filedImport(earlier);
  const newest = earlier[0];
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
