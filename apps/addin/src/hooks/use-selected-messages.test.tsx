import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installOfficeStub, SAMPLE_MESSAGE } from '../test/office-stub';
import { useSelectedMessages } from './use-selected-messages';

const second = { ...SAMPLE_MESSAGE, itemId: 'item-2', internetMessageId: '<second@example.com>', subject: 'Second' };

describe('useSelectedMessages', () => {
  it('keeps the list it shows when the same selection is read again, so the bulk form is not rebuilt', async () => {
    const stub = installOfficeStub({ messages: [SAMPLE_MESSAGE, second], selected: ['item-1', 'item-2'], mailboxVersion: '1.15' });
    const { result } = renderHook(() => useSelectedMessages());
    await waitFor(() => expect(result.current.messages.map((m) => m.itemId)).toEqual(['item-1', 'item-2']));
    const shown = result.current.messages;
    // SelectedItemsChanged with nothing changed (and the read after subscribing)
    stub.selectMessages(['item-1', 'item-2']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(result.current.messages).toBe(shown);

    stub.selectMessages(['item-2']);
    await waitFor(() => expect(result.current.messages.map((m) => m.itemId)).toEqual(['item-2']));
  });
});
