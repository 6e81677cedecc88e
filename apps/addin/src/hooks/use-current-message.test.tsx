import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installOfficeStub, SAMPLE_MESSAGE } from '../test/office-stub';
import { useCurrentMessage } from './use-current-message';

describe('useCurrentMessage', () => {
  it('shows a message selected while the pane was still subscribing to ItemChanged', async () => {
    const stub = installOfficeStub();
    const { result } = renderHook(() => useCurrentMessage());
    expect(result.current?.itemId).toBe(SAMPLE_MESSAGE.itemId);
    // Office answers addHandlerAsync later; a message selected before then fires no handler
    stub.selectMessage({ ...SAMPLE_MESSAGE, itemId: 'item-2', internetMessageId: '<second@example.com>', subject: 'The second' });
    await waitFor(() => expect(stub.hasItemChangedHandler()).toBe(true));
    await waitFor(() => expect(result.current?.subject).toBe('The second'));
  });

  it('keeps the message it shows when nothing changed meanwhile, so what depends on it is not reset', async () => {
    const stub = installOfficeStub();
    const { result } = renderHook(() => useCurrentMessage());
    const shown = result.current;
    await waitFor(() => expect(stub.hasItemChangedHandler()).toBe(true));
    expect(result.current).toBe(shown);
  });

  it('follows the selection once subscribed', async () => {
    const stub = installOfficeStub();
    const { result } = renderHook(() => useCurrentMessage());
    await waitFor(() => expect(stub.hasItemChangedHandler()).toBe(true));
    stub.selectMessage(null);
    await waitFor(() => expect(result.current).toBeUndefined());
  });
});
