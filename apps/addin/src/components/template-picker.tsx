import { Field, Select } from '@fluentui/react-components';
import type { Template } from '@toa/api/templates';

export interface TemplatePickerProps {
  /** names the document (or documents) the template is for */
  label: string;
  templates: readonly Template[];
  value: string | undefined;
  onChange: (template: Template | undefined) => void;
  /** shown when no template is chosen and the user tried to go on */
  missing?: string;
}

/** A required choice of one of the domain's templates, "Choose a template…" until one is chosen. */
export function TemplatePicker({ label, templates, value, onChange, missing }: TemplatePickerProps) {
  return (
    <Field label={label} required validationMessage={missing} validationState={missing ? 'error' : 'none'}>
      <Select value={value ?? ''} onChange={(_, data) => onChange(templates.find((t) => t.id === data.value))}>
        <option value="">Choose a template…</option>
        {templates.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </Select>
    </Field>
  );
}
