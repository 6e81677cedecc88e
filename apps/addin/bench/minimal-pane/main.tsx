/**
 * The bench's baseline (bench/pane.mjs): a task pane with React and the Fluent UI v9
 * components the TOA pane's form is made of — a domain and a template picker, a
 * field, an attachment list with switches, the Import button — on fixed data,
 * rendered at once. No API client, no schemas, no Office.js: what any React +
 * Fluent pane showing this form costs, built in the same run as the pane.
 */
import {
  Badge,
  Button,
  Caption1,
  Checkbox,
  Divider,
  Field,
  FluentProvider,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  Select,
  Spinner,
  Subtitle2,
  Switch,
  Text,
  tokens,
  webLightTheme,
} from '@fluentui/react-components';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM, padding: tokens.spacingHorizontalM },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

const ATTACHMENTS = [
  { id: '1', name: 'invoice-a.pdf', contentType: 'application/pdf', size: 101 },
  { id: '2', name: 'invoice-b.pdf', contentType: 'application/pdf', size: 101 },
];

function Pane() {
  const styles = useStyles();
  const [subject, setSubject] = useState('Apple Mail inline PDFs');
  const [extract, setExtract] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  return (
    <main className={styles.root}>
      <Text weight="semibold">{subject}</Text>
      <Caption1>Example Sender</Caption1>
      <Field label="Archive domain">
        <Select>
          <option>Sample</option>
        </Select>
      </Field>
      <Subtitle2 as="h2">Message</Subtitle2>
      <Field label="Template for the message" required>
        <Select>
          <option value="">Choose a template…</option>
          <option value="correspondence">General correspondence</option>
        </Select>
      </Field>
      <Field label="Subject">
        <Input value={subject} onChange={(_, data) => setSubject(data.value)} />
      </Field>
      <Checkbox label="Confidential" />
      <Subtitle2 as="h2">Attachments</Subtitle2>
      <ul className={styles.list} aria-label="Attachments">
        {ATTACHMENTS.map((attachment) => (
          <li key={attachment.id}>
            <Text>{attachment.name}</Text> <Badge appearance="tint">file</Badge>
            <Caption1>
              {attachment.contentType}, {attachment.size} B
            </Caption1>
            <Switch
              checked={extract[attachment.id] ?? false}
              onChange={(_, data) => setExtract({ ...extract, [attachment.id]: data.checked })}
              label={`Extract ${attachment.name} to its own document`}
            />
          </li>
        ))}
      </ul>
      <Button appearance="primary" disabled={busy} onClick={() => setBusy(true)}>
        Import
      </Button>
      {busy && <Spinner size="tiny" label="Importing…" />}
      <MessageBar intent="info">
        <MessageBarBody>
          <MessageBarTitle>Minimal pane</MessageBarTitle>
          Nothing is filed from here.
        </MessageBarBody>
      </MessageBar>
      <Divider />
    </main>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <FluentProvider theme={webLightTheme} style={{ minHeight: '100vh' }}>
      <Pane />
    </FluentProvider>
  </StrictMode>,
);
