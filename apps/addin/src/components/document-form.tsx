import { makeStyles, tokens } from '@fluentui/react-components';
import type { Attributes } from '@toa/api/imports';
import type { MessageFacts } from '@toa/api/prefill';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { isMissing } from '@toa/api/attributes';
import { type FieldMessages, prefillForTemplate } from '../lib/attribute-values';
import type { DocumentDraft } from '../lib/drafts';
import { type InheritedValues, originHints } from '../lib/inherited-values';
import { AttributeForm } from './attribute-form';
import { TemplatePicker } from './template-picker';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

export interface DocumentFormProps {
  /** label of the template picker, naming the document */
  templateLabel: string;
  templates: readonly Template[];
  draft: DocumentDraft;
  onChange: (draft: DocumentDraft) => void;
  facts: MessageFacts;
  serverErrors?: FieldMessages;
  showAllErrors?: boolean;
  /** the server's limits on values (`GET …/templates`) */
  limits?: AttributeLimits;
  /** template id → the user's last filed values (`GET …/last-values`), defaults of fields nothing pre-fills */
  lastValues?: Readonly<Record<string, Attributes>> | undefined;
  /**
   * What a document takes from elsewhere under a newly chosen template (an
   * extracted attachment: the message document's values and its file name as
   * title), over the template's prefill; values already in the form win.
   */
  inherit?: (template: Template) => InheritedValues;
}

/** One archive document: its template and the template's attributes. */
export function DocumentForm({
  templateLabel,
  templates,
  draft,
  onChange,
  facts,
  serverErrors,
  showAllErrors,
  limits,
  lastValues,
  inherit,
}: DocumentFormProps) {
  const styles = useStyles();
  const template = templates.find((t) => t.id === draft.templateId);
  const missing = showAllErrors && !template ? 'Choose a template' : undefined;
  return (
    <div className={styles.root}>
      <TemplatePicker
        label={templateLabel}
        templates={templates}
        value={template?.id}
        missing={missing}
        onChange={(next) =>
          onChange(
            next
              ? { ...draft, templateId: next.id, ...prefillForTemplate(next, facts, withInherited(draft, inherit?.(next)), limits, lastValues?.[next.id]) }
              : { ...draft, templateId: undefined },
          )
        }
      />
      {template && (
        <AttributeForm
          key={template.id}
          template={template}
          values={draft.values}
          onChange={(id, value) => {
            // An edited value is the user's own: its origin note goes.
            const { [id]: _edited, ...origins } = draft.origins ?? {};
            onChange({ ...draft, values: { ...draft.values, [id]: value }, origins });
          }}
          hints={originHints(draft.origins)}
          serverErrors={serverErrors}
          showAllErrors={showAllErrors}
          limits={limits}
        />
      )}
    </div>
  );
}

/** The draft's values over the inherited ones: a value in the form (not blank) is kept with its own origin. */
function withInherited(draft: DocumentDraft, inherited: InheritedValues | undefined): Pick<DocumentDraft, 'values' | 'origins'> {
  if (!inherited) return draft;
  const values = { ...inherited.values };
  const origins = { ...inherited.origins };
  for (const [id, value] of Object.entries(draft.values)) {
    if (isMissing(value)) continue;
    values[id] = value;
    const origin = draft.origins?.[id];
    if (origin) origins[id] = origin;
    else delete origins[id];
  }
  return { values, origins };
}
