import { Button, Field, MessageBar, MessageBarActions, MessageBarBody, Select, Spinner } from '@fluentui/react-components';
import { useEffect } from 'react';
import { errorText } from '../../../lib/error-text';
import { useDomains } from '../api/use-domains';

export interface DomainPickerProps {
  value: string | undefined;
  onChange: (domain: string | undefined) => void;
}

/** The archive domains this user may file into; picks the only one by itself. */
export function DomainPicker({ value, onChange }: DomainPickerProps) {
  const domains = useDomains();
  const list = domains.data?.domains;
  const only = list?.length === 1 ? list[0]?.code : undefined;
  const known = list?.some((d) => d.code === value) ?? true;

  useEffect(() => {
    if (only && value !== only) onChange(only);
    else if (!known) onChange(undefined);
  }, [only, known, value, onChange]);

  if (domains.status === 'loading') return <Spinner size="tiny" label="Loading domains…" />;
  if (domains.status === 'error') {
    return (
      <MessageBar intent="error">
        <MessageBarBody>The domains could not be loaded: {errorText(domains.error)}</MessageBarBody>
        <MessageBarActions>
          <Button onClick={domains.reload}>Try again</Button>
        </MessageBarActions>
      </MessageBar>
    );
  }
  if (!list || list.length === 0) {
    return (
      <MessageBar intent="warning">
        <MessageBarBody>You may not file into any archive domain. Ask your TOA administrator to give your mail domain access.</MessageBarBody>
      </MessageBar>
    );
  }
  return (
    <Field label="Archive domain" required>
      <Select value={value ?? ''} onChange={(_, data) => onChange(data.value || undefined)}>
        {!value && <option value="">Choose a domain…</option>}
        {list.map((domain) => (
          <option key={domain.code} value={domain.code} disabled={!domain.catalogueAvailable}>
            {domain.catalogueAvailable ? domain.name : `${domain.name} (templates unavailable)`}
          </option>
        ))}
      </Select>
    </Field>
  );
}
