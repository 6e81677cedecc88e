import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Attributes } from '@toa/api/imports';
import type { AttributeLimits } from '@toa/api/templates';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { FieldMessages } from '../lib/attribute-values';
import type { DocumentDraft } from '../lib/drafts';
import { INVOICE, LETTER } from '../test/fixtures';
import { renderWithProviders } from '../test/render';
import { DocumentForm } from './document-form';

const FACTS = { subject: 'Invoice 42', fromName: 'Alice Supplier', fromAddress: 'alice@supplier.example', receivedAt: '2026-11-03T09:15:00Z' };

interface HarnessProps {
  initial: DocumentDraft;
  serverErrors?: FieldMessages;
  showAllErrors?: boolean;
  limits?: AttributeLimits;
  lastValues?: Record<string, Attributes>;
}

function Harness({ initial, serverErrors, showAllErrors, limits, lastValues }: HarnessProps) {
  const [draft, setDraft] = useState(initial);
  return (
    <>
      <DocumentForm
        templateLabel="Template for the message"
        templates={[INVOICE, LETTER]}
        draft={draft}
        onChange={setDraft}
        facts={FACTS}
        serverErrors={serverErrors}
        showAllErrors={showAllErrors}
        limits={limits}
        lastValues={lastValues}
      />
      <output data-testid="values">{JSON.stringify(draft.values)}</output>
    </>
  );
}

describe('DocumentForm', () => {
  it('renders every user attribute with a label, marks required ones and hides server-generated ones', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ values: {} }} />);
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');

    expect(screen.getByRole('textbox', { name: /Supplier/ })).toBeRequired();
    expect(screen.getByRole('textbox', { name: /Amount/ })).not.toBeRequired();
    expect(screen.getByLabelText(/Invoice date/)).toHaveAttribute('type', 'date');
    expect(screen.getByRole('combobox', { name: /Department/ })).toBeRequired();
    expect(screen.getByRole('checkbox', { name: 'Confidential' })).not.toBeChecked();
    expect(screen.getByRole('textbox', { name: /Reference/ })).toBeInTheDocument();
    expect(screen.queryByLabelText(/Case number/)).not.toBeInTheDocument();
  });

  it('pre-fills from the message where the template says so', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ values: {} }} />);
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');
    expect(screen.getByRole('textbox', { name: /Supplier/ })).toHaveValue('Alice Supplier');
    expect(screen.getByLabelText(/Invoice date/)).toHaveValue('2026-11-03');
  });

  it('says under each filled-in field where its value came from, the message or the last filing, until the user edits it', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ values: {} }} lastValues={{ invoice: { department: 'HR', reference: 'AB-1234', supplier: 'Old supplier' } }} />);
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');

    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    // the message's sender wins over the last filed supplier
    expect(supplier).toHaveValue('Alice Supplier');
    expect(supplier).toHaveAccessibleDescription('from the message');
    expect(screen.getByLabelText(/Invoice date/)).toHaveAccessibleDescription('from the message');
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveValue('HR');
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveAccessibleDescription('as last filed');
    const reference = screen.getByRole('textbox', { name: /Reference/ });
    expect(reference).toHaveValue('AB-1234');
    expect(reference).toHaveAccessibleDescription('as last filed');
    // nothing filled in: nothing said
    expect(screen.getByRole('textbox', { name: /Amount/ })).toHaveValue('');
    expect(screen.getByRole('textbox', { name: /Amount/ })).toHaveAccessibleDescription('At least 0');

    await user.clear(reference);
    await user.type(reference, 'CD-5678');
    expect(reference).toHaveAccessibleDescription('');
    await user.clear(supplier);
    await user.type(supplier, 'Bob');
    expect(supplier).toHaveAccessibleDescription('');
    // a template switched to and back keeps the origins of what it kept
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'letter');
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveAccessibleDescription('from the message');
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveAccessibleDescription('as last filed');
    expect(screen.getByRole('textbox', { name: /Reference/ })).toHaveAccessibleDescription('');
  });

  it('keeps what the user typed when the template changes to one with the same attribute', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ templateId: 'letter', values: { title: 'Typed by hand' } }} />);
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveValue('Typed by hand');
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'letter');
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveValue('Typed by hand');
  });

  it('validates as the user types, with the shared rules', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ templateId: 'invoice', values: { supplier: 'ACME' } }} />);
    const amount = screen.getByRole('textbox', { name: /Amount/ });
    await user.type(amount, '12a');
    expect(amount).toHaveAccessibleDescription(/Amount must be a number/);
    await user.clear(amount);
    await user.type(amount, '-1');
    expect(amount).toHaveAccessibleDescription(/Amount must be at least 0/);
    await user.clear(amount);
    await user.type(amount, '12.5');
    expect(amount).not.toHaveAccessibleDescription(/must/);

    const reference = screen.getByRole('textbox', { name: /Reference/ });
    await user.type(reference, 'ab-1');
    expect(reference).toHaveAccessibleDescription(/Reference does not have the expected format/);

    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    await user.clear(supplier);
    expect(supplier).toHaveAccessibleDescription(/Supplier is required/);
    expect(screen.getByTestId('values')).toHaveTextContent('"amount":"12.5"');
  });

  it("refuses a value one character over the server's attributeLength, counted in characters", async () => {
    const user = userEvent.setup();
    // The letter's title has no maxLength of its own: only the server's limit bounds it.
    renderWithProviders(<Harness initial={{ templateId: 'letter', values: {} }} limits={{ attributeLength: 10 }} />);
    const title = screen.getByRole('textbox', { name: /Title/ });
    await user.type(title, '😀'.repeat(10));
    expect(title).not.toHaveAccessibleDescription(/must/);
    await user.type(title, 'x');
    expect(title).toHaveAccessibleDescription('Title must be at most 10 characters');
  });

  it('applies the smaller of the template maxLength and the server limit, also to what it pre-fills', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ values: {} }} limits={{ attributeLength: 5 }} />);
    await user.selectOptions(screen.getByLabelText(/Template for the message/), 'invoice');
    // "Alice Supplier" cut to the server's 5, below the template's 100
    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    expect(supplier).toHaveValue('Alice');
    await user.type(supplier, '!');
    expect(supplier).toHaveAccessibleDescription('Supplier must be at most 5 characters');
  });

  it('shows untouched required fields after an Import attempt', () => {
    renderWithProviders(<Harness initial={{ templateId: 'invoice', values: {} }} showAllErrors />);
    expect(screen.getByRole('combobox', { name: /Department/ })).toHaveAccessibleDescription(/Department is required/);
  });

  it('maps the server 422 errors onto their fields until the field is edited', async () => {
    const user = userEvent.setup();
    renderWithProviders(
      <Harness
        initial={{ templateId: 'invoice', values: { supplier: 'ACME', invoiceDate: '2026-11-03', department: 'FIN' } }}
        serverErrors={{ supplier: 'Supplier is not known to the archive' }}
      />,
    );
    const supplier = screen.getByRole('textbox', { name: /Supplier/ });
    expect(supplier).toHaveAccessibleDescription('Supplier is not known to the archive');
    await user.type(supplier, ' Ltd');
    expect(supplier).not.toHaveAccessibleDescription(/not known/);
  });

  it('can be filled with the keyboard only', async () => {
    const user = userEvent.setup();
    renderWithProviders(<Harness initial={{ templateId: 'letter', values: {} }} />);
    await user.tab();
    expect(screen.getByLabelText(/Template for the message/)).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('textbox', { name: /Title/ })).toHaveFocus();
    await user.keyboard('Hello');
    expect(screen.getByTestId('values')).toHaveTextContent('"title":"Hello"');
  });
});
