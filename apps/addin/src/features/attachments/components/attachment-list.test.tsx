import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { AttachmentDraft, DocumentDraft } from '../../../lib/drafts';
import type { MessageAttachment, MessageProtection } from '../../../lib/office/mailbox';
import { INVOICE, LETTER } from '../../../test/fixtures';
import { renderWithProviders } from '../../../test/render';
import { AttachmentList } from './attachment-list';

const ATTACHMENTS: MessageAttachment[] = [
  { id: 'att-1', name: 'invoice.pdf', contentType: 'application/pdf', size: 123_456, isInline: false, isItem: false },
  { id: 'att-2', name: 'logo.png', contentType: 'image/png', size: 300, isInline: true, isItem: false },
];

function Harness({
  attachments = ATTACHMENTS,
  errors,
  protection,
  messageDocument = { templateId: 'letter', values: {} },
  lastValues,
}: {
  attachments?: MessageAttachment[];
  errors?: Record<string, Record<string, string>>;
  protection?: MessageProtection;
  messageDocument?: DocumentDraft;
  lastValues?: Record<string, Record<string, string | number | boolean>>;
}) {
  const [drafts, setDrafts] = useState<Record<string, AttachmentDraft>>({});
  return (
    <>
      <AttachmentList
        attachments={attachments}
        protection={protection}
        drafts={drafts}
        onChange={(id, draft) => setDrafts((d) => ({ ...d, [id]: draft }))}
        templates={[INVOICE, LETTER]}
        messageDocument={messageDocument}
        lastValues={lastValues}
        facts={{ subject: 'Invoice 42' }}
        serverErrors={errors}
      />
      <output data-testid="drafts">{JSON.stringify(drafts)}</output>
    </>
  );
}

describe('AttachmentList', () => {
  it('lists every attachment, marks inline ones and keeps all in the message by default', () => {
    renderWithProviders(<Harness />);
    const items = within(screen.getByRole('list', { name: 'Attachments' })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(within(items[0] as HTMLElement).getByText('application/pdf, 121 KB')).toBeInTheDocument();
    expect(within(items[1] as HTMLElement).getByText('inline')).toBeInTheDocument();
    for (const toggle of screen.getAllByRole('switch')) expect(toggle).not.toBeChecked();
    expect(screen.queryByLabelText(/Template for/)).not.toBeInTheDocument();
  });

  it('extracting an attachment gives it its own template and pre-filled form, by keyboard', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness />);
    await user.tab();
    expect(screen.getByRole('switch', { name: 'Extract invoice.pdf to its own document' })).toHaveFocus();
    await user.keyboard(' ');
    const picker = screen.getByLabelText(/Template for invoice.pdf/);
    expect(picker).toHaveValue('letter');
    // the title is the attachment's file name, not the message's subject
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveValue('invoice');
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveAccessibleDescription('from the file name');

    await user.selectOptions(picker, 'invoice');
    expect(screen.getByRole('textbox', { name: /Supplier/ })).toBeInTheDocument();
    expect(JSON.parse(screen.getByTestId('drafts').textContent ?? '')).toMatchObject({
      'att-1': { extract: true, templateId: 'invoice', values: { title: 'invoice' } },
    });
    expect(screen.queryByLabelText(/Template for logo.png/)).not.toBeInTheDocument();
  });

  it('an attachment switched to another template still takes its title from the file name and the message document’s values', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness messageDocument={{ templateId: 'invoice', values: { supplier: 'ACME Ltd' } }} />);
    await user.click(screen.getByRole('switch', { name: /invoice.pdf/ }));
    const picker = screen.getByLabelText(/Template for invoice.pdf/);
    expect(picker).toHaveValue('invoice');
    await user.selectOptions(picker, 'letter');
    // docs/templates.md: the file name goes in the title attribute, over what the template pre-fills (the subject)
    const title = screen.getByRole('textbox', { name: /Title/ });
    expect(title).toHaveValue('invoice');
    expect(title).toHaveAccessibleDescription('from the file name');
    await user.selectOptions(picker, 'invoice');
    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    expect(supplier).toHaveValue('ACME Ltd');
    expect(supplier).toHaveAccessibleDescription('from the message’s document');
  });

  it('a newly extracted attachment inherits the message document’s values and says where each came from', async () => {
    const user = userEvent.setup();
    const messageDocument = { templateId: 'invoice', values: { supplier: 'ACME Ltd', amount: '99.5', department: 'HR', reference: '' } };
    renderWithProviders(<Harness messageDocument={messageDocument} />);
    await user.click(screen.getByRole('switch', { name: /invoice.pdf/ }));
    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    expect(supplier).toHaveValue('ACME Ltd');
    expect(supplier).toHaveAccessibleDescription('from the message’s document');
    expect(screen.getByRole('textbox', { name: /Amount/ })).toHaveValue('99.5');
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveValue('HR');
    // nothing inherited: no note
    expect(screen.getByRole('textbox', { name: /Reference/ })).toHaveValue('');
    expect(screen.getByRole('textbox', { name: /Reference/ })).toHaveAccessibleDescription('');

    // an edited value is the user's own: the note goes
    await user.type(supplier, ' GmbH');
    expect(supplier).toHaveValue('ACME Ltd GmbH');
    expect(supplier).toHaveAccessibleDescription('');
    expect(JSON.parse(screen.getByTestId('drafts').textContent ?? '')).toMatchObject({
      'att-1': { templateId: 'invoice', values: { supplier: 'ACME Ltd GmbH', amount: '99.5', department: 'HR' }, origins: { amount: 'messageDocument' } },
    });
  });

  it('fills what nothing else fills with the values last filed with the template, under what the message gives', async () => {
    const user = userEvent.setup();
    const lastValues = { invoice: { supplier: 'Last supplier', department: 'FIN', reference: 'AB-1234', amount: 5 } };
    renderWithProviders(<Harness messageDocument={{ templateId: 'invoice', values: { amount: '7' } }} lastValues={lastValues} />);
    await user.click(screen.getByRole('switch', { name: /invoice.pdf/ }));
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveValue('FIN');
    expect(screen.getByRole('textbox', { name: /Reference/ })).toHaveValue('AB-1234');
    // the message's value wins over the last filed one
    expect(screen.getByRole('textbox', { name: /Amount/ })).toHaveValue('7');
    expect(screen.getByRole('textbox', { name: /Supplier/ })).toHaveValue('Last supplier');
    // and each says where it came from
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveAccessibleDescription('as last filed');
    expect(screen.getByRole('textbox', { name: /Reference/ })).toHaveAccessibleDescription(expect.stringContaining('as last filed'));
    expect(screen.getByRole('textbox', { name: /Supplier/ })).toHaveAccessibleDescription('as last filed');
    expect(screen.getByRole('textbox', { name: /Amount/ })).toHaveAccessibleDescription(expect.stringContaining('from the message’s document'));
  });

  it('shows the server errors of an extracted attachment on its own form', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness errors={{ 'att-1': { title: 'Title is taken' } }} />);
    await user.click(screen.getByRole('switch', { name: /invoice.pdf/ }));
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveAccessibleDescription(/^Title is taken/);
  });

  it('tells the user before they choose that a signed message is kept whole and its attachments copied', async () => {
    const user = userEvent.setup();
    const signed: MessageAttachment[] = [
      ...ATTACHMENTS,
      { id: 'att-3', name: 'smime.p7s', contentType: 'application/pkcs7-signature', size: 1569, isInline: false, isItem: false },
    ];
    renderWithProviders(<Harness attachments={signed} protection="signed" />);
    expect(screen.getByText('This message is signed; attachments are copied, the message is kept whole.')).toBeInTheDocument();
    // the signature is evidence about the message: it cannot be chosen
    expect(screen.getAllByRole('switch')).toHaveLength(2);
    const signature = within(screen.getByRole('list', { name: 'Attachments' })).getAllByRole('listitem')[2] as HTMLElement;
    expect(within(signature).getByText('signature')).toBeInTheDocument();
    expect(within(signature).queryByRole('switch')).not.toBeInTheDocument();
    await user.click(screen.getByRole('switch', { name: 'Copy invoice.pdf to its own document' }));
    expect(JSON.parse(screen.getByTestId('drafts').textContent ?? '')).toMatchObject({ 'att-1': { extract: true } });
  });

  it('says that an encrypted message without listed attachments is kept whole', () => {
    renderWithProviders(<Harness attachments={[]} protection="encrypted" />);
    expect(screen.getByText(/This message is encrypted; it is kept whole/)).toBeInTheDocument();
    expect(screen.getByText('This message has no attachments.')).toBeInTheDocument();
  });

  it('says so when there are no attachments', () => {
    renderWithProviders(<Harness attachments={[]} />);
    expect(screen.getByText('This message has no attachments.')).toBeInTheDocument();
  });
});
