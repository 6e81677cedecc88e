import { Field, makeStyles, Select, tokens } from '@fluentui/react-components';
import type { MessageFacts } from '@toa/api/prefill';
import type { AttributeLimits, Template } from '@toa/api/templates';
import { type FieldMessages, valuesForTemplate } from '../lib/attribute-values';
import type { DocumentDraft } from '../lib/drafts';
import { AttributeForm } from './attribute-form';

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
}

/** One archive document: its template and the template's attributes. */
export function DocumentForm({ templateLabel, templates, draft, onChange, facts, serverErrors, showAllErrors, limits }: DocumentFormProps) {
  const styles = useStyles();
  const template = templates.find((t) => t.id === draft.templateId);
  const missing = showAllErrors && !template ? 'Choose a template' : undefined;
  return (
    <div className={styles.root}>
      <Field label={templateLabel} required validationMessage={missing} validationState={missing ? 'error' : 'none'}>
        <Select
          value={template?.id ?? ''}
          onChange={(_, data) => {
            const next = templates.find((t) => t.id === data.value);
            onChange({ templateId: next?.id, values: next ? valuesForTemplate(next, facts, draft.values, limits) : draft.values });
          }}
        >
          <option value="">Choose a template…</option>
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </Select>
      </Field>
      {template && (
        <AttributeForm
          key={template.id}
          template={template}
          values={draft.values}
          onChange={(id, value) => onChange({ ...draft, values: { ...draft.values, [id]: value } })}
          serverErrors={serverErrors}
          showAllErrors={showAllErrors}
          limits={limits}
        />
      )}
    </div>
  );
}
