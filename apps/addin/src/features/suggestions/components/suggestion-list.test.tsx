import type { Suggestion } from '@toa/api/suggestions';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CurrentMessage } from '../../../lib/office/mailbox';
import { FakeApiClient } from '../../../test/fake-api-client';
import { INVOICE, LETTER } from '../../../test/fixtures';
import { renderWithProviders } from '../../../test/render';
import { applySuggestion } from './apply-suggestion';
import { SuggestionList } from './suggestion-list';

const MESSAGE: CurrentMessage = {
  itemId: 'item-2',
  internetMessageId: '<reply@supplier.example>',
  subject: 'RE: Invoice 42',
  fromName: 'Alice Supplier',
  fromAddress: 'alice@supplier.example',
  receivedAt: '2026-11-04T10:00:00.000Z',
  conversationId: 'AAQkConversation-invoice-42',
  to: ['bob@acme.example'],
  cc: [],
  attachments: [],
  protection: undefined,
};

const CONVERSATION: Suggestion = {
  domain: 'acme',
  templateId: 'invoice',
  attributes: { department: 'HR', reference: 'AB-1234' },
  score: 0.9,
  reasons: [{ source: 'conversation', text: 'same conversation as an import of 3 Nov' }],
};
const SENDER: Suggestion = {
  domain: 'acme',
  templateId: 'letter',
  attributes: {},
  score: 0.4,
  reasons: [{ source: 'sender', text: '1 of your last 2 messages from this sender' }],
};

let api: FakeApiClient;
beforeEach(() => {
  api = new FakeApiClient();
  localStorage.clear();
});

function renderList(onApply = vi.fn(), chosen = false) {
  renderWithProviders(<SuggestionList domain="acme" message={MESSAGE} templates={[INVOICE, LETTER]} chosen={chosen} onApply={onApply} />, api);
  return onApply;
}

describe('SuggestionList', () => {
  it("asks with the message's conversation, sender, recipients and subject, and shows each suggestion with its reason", async () => {
    api.suggestionList = [CONVERSATION, SENDER];
    const onApply = renderList();
    await screen.findByText('same conversation as an import of 3 Nov');
    expect(screen.getByText('1 of your last 2 messages from this sender')).toBeTruthy();
    // The values as the form shows them: the department's option label, not its stored code.
    expect(screen.getByRole('button', { name: 'Incoming invoice: Human resources, AB-1234' })).toBeTruthy();
    expect(api.suggestionRequests[0]).toMatchObject({
      conversationId: 'AAQkConversation-invoice-42',
      from: 'alice@supplier.example',
      to: ['bob@acme.example'],
      subject: 'RE: Invoice 42',
    });
    // Conversation filing is off by default: nothing is chosen for the user.
    expect(onApply).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: /^Letter/ }));
    expect(onApply).toHaveBeenCalledWith(SENDER);
  });

  it('with conversation filing on, pre-selects the filing of the same conversation, once', async () => {
    api.suggestionList = [CONVERSATION, SENDER];
    localStorage.setItem('toa.conversationFiling', 'on');
    const onApply = renderList();
    await waitFor(() => expect(onApply).toHaveBeenCalledWith(CONVERSATION));
    expect(onApply).toHaveBeenCalledTimes(1);
  });

  it('with conversation filing on, leaves a form alone that has a template already, and a best suggestion of another reason', async () => {
    localStorage.setItem('toa.conversationFiling', 'on');
    api.suggestionList = [CONVERSATION];
    const chosenApply = renderList(vi.fn(), true);
    await screen.findByText('same conversation as an import of 3 Nov');
    expect(chosenApply).not.toHaveBeenCalled();
  });

  it('keeps the setting when switched', async () => {
    renderList();
    fireEvent.click(screen.getByRole('switch'));
    expect(localStorage.getItem('toa.conversationFiling')).toBe('on');
  });
});

describe('applySuggestion', () => {
  it("fills template and values over what was typed, keeping the message's own prefills", () => {
    const facts = { subject: MESSAGE.subject, fromName: MESSAGE.fromName, fromAddress: MESSAGE.fromAddress, receivedAt: MESSAGE.receivedAt };
    const filled = applySuggestion({ templateId: undefined, values: { amount: '12', department: 'FIN' } }, CONVERSATION, [INVOICE, LETTER], facts);
    expect(filled?.templateId).toBe('invoice');
    expect(filled?.values).toMatchObject({ supplier: 'Alice Supplier', amount: '12', department: 'HR', reference: 'AB-1234' });
    expect(applySuggestion({ values: {} }, { ...CONVERSATION, templateId: 'gone' }, [INVOICE], facts)).toBeUndefined();
  });
});
