import { Checkbox, Field, Input, makeStyles, Select, tokens } from '@fluentui/react-components';
import type { AttributeType } from '@toa/api/attribute-types';
import type { Attribute, AttributeLimits, Template } from '@toa/api/templates';
import { type ReactElement, useEffect, useState } from 'react';
import { editableAttributes, type FieldMessages, type FieldValue, type FieldValues, validateField } from '../lib/attribute-values';

const useStyles = makeStyles({
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

export interface AttributeFormProps {
  template: Template;
  values: FieldValues;
  onChange: (id: string, value: FieldValue) => void;
  /** the server's 422 messages, shown until the field is edited */
  serverErrors?: FieldMessages;
  /** show every field's error, touched or not (after an Import attempt) */
  showAllErrors?: boolean;
  /** the server's limits on values, applied as the user types */
  limits?: AttributeLimits;
  /** attribute id → a note under the field on where its value came from ("from the message") */
  hints?: Readonly<Record<string, string>>;
}

/** The template's typed attributes as labelled fields, checked with the shared rules as the user types. */
const NO_ERRORS: FieldMessages = {};

export function AttributeForm({ template, values, onChange, serverErrors = NO_ERRORS, showAllErrors = false, limits, hints }: AttributeFormProps) {
  const styles = useStyles();
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [editedSinceServer, setEditedSinceServer] = useState<ReadonlySet<string>>(new Set());
  // biome-ignore lint/correctness/useExhaustiveDependencies: new server errors are the trigger, not an input
  useEffect(() => setEditedSinceServer(new Set()), [serverErrors]);

  const touch = (id: string) => setTouched((previous) => (previous.has(id) ? previous : new Set(previous).add(id)));
  const change = (id: string, value: FieldValue) => {
    touch(id);
    setEditedSinceServer((previous) => new Set(previous).add(id));
    onChange(id, value);
  };

  return (
    <div className={styles.form}>
      {editableAttributes(template).map((attribute) => {
        const local = touched.has(attribute.id) || showAllErrors ? validateField(attribute, values[attribute.id], limits) : undefined;
        const server = editedSinceServer.has(attribute.id) ? undefined : serverErrors[attribute.id];
        return (
          <AttributeField
            key={attribute.id}
            attribute={attribute}
            value={values[attribute.id]}
            error={local ?? server}
            hint={hints?.[attribute.id]}
            onChange={(value) => change(attribute.id, value)}
            onBlur={() => touch(attribute.id)}
          />
        );
      })}
    </div>
  );
}

interface AttributeFieldProps {
  attribute: Attribute;
  value: FieldValue | undefined;
  error: string | undefined;
  /** where the value came from, under the field */
  hint?: string | undefined;
  onChange: (value: FieldValue) => void;
  onBlur: () => void;
}

/** What every control gets besides: its text (empty for a boolean), and the Field's label and validation props. */
interface ControlProps extends AttributeFieldProps {
  text: string;
  fieldProps: { label: string; required: boolean; validationMessage: string | undefined; validationState: 'error' | 'none'; hint: string | undefined };
}

/**
 * One form control per attribute type (`@toa/api/attribute-types`): a type
 * added there fails to compile here until it has its control.
 */
const CONTROLS: Record<AttributeType, (props: ControlProps) => ReactElement> = {
  boolean: ({ attribute, value, error, onChange, onBlur, fieldProps }) => (
    <Field validationMessage={error} validationState={fieldProps.validationState} hint={fieldProps.hint}>
      <Checkbox label={attribute.label} checked={value === true} onChange={(_, data) => onChange(data.checked === true)} onBlur={onBlur} />
    </Field>
  ),
  choice: ({ attribute, text, onChange, onBlur, fieldProps }) => (
    <Field {...fieldProps}>
      <Select value={text} onChange={(_, data) => onChange(data.value)} onBlur={onBlur}>
        <option value="">{attribute.required ? 'Choose…' : '(none)'}</option>
        {(attribute.options ?? []).map((option) => (
          <option key={option.value} value={option.value}>
            {option.label || option.value}
          </option>
        ))}
      </Select>
    </Field>
  ),
  date: ({ text, onChange, onBlur, fieldProps }) => (
    <Field {...fieldProps}>
      <Input type="date" value={text} onChange={(_, data) => onChange(data.value)} onBlur={onBlur} />
    </Field>
  ),
  number: ({ attribute, text, onChange, onBlur, fieldProps }) => (
    <Field {...fieldProps} hint={joinHints(rangeHint(attribute), fieldProps.hint)}>
      {/* Text, not type=number: the browser would blank "12a" and the error would say "required". */}
      <Input inputMode="decimal" value={text} onChange={(_, data) => onChange(data.value)} onBlur={onBlur} />
    </Field>
  ),
  text: ({ text, onChange, onBlur, fieldProps }) => (
    <Field {...fieldProps}>
      <Input value={text} onChange={(_, data) => onChange(data.value)} onBlur={onBlur} />
    </Field>
  ),
};

function AttributeField(props: AttributeFieldProps) {
  const { attribute, value, error, hint } = props;
  const Control = CONTROLS[attribute.type];
  const fieldProps = {
    label: attribute.label,
    required: attribute.required,
    validationMessage: error,
    validationState: error ? ('error' as const) : ('none' as const),
    hint,
  };
  return <Control {...props} text={typeof value === 'string' ? value : ''} fieldProps={fieldProps} />;
}

function joinHints(...hints: (string | undefined)[]): string | undefined {
  const set = hints.filter((h): h is string => h !== undefined);
  return set.length === 0 ? undefined : set.join('; ');
}

function rangeHint(attribute: Attribute): string | undefined {
  if (attribute.min !== undefined && attribute.max !== undefined) return `From ${attribute.min} to ${attribute.max}`;
  if (attribute.min !== undefined) return `At least ${attribute.min}`;
  if (attribute.max !== undefined) return `At most ${attribute.max}`;
  return undefined;
}
