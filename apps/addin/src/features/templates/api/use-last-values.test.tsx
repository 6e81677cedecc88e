import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { ApiClientProvider } from '../../../lib/api-client-context';
import { FakeApiClient } from '../../../test/fake-api-client';
import { useLastValues } from './use-last-values';

function render(api: FakeApiClient) {
  const wrapper = ({ children }: { children: ReactNode }) => <ApiClientProvider client={api}>{children}</ApiClientProvider>;
  const initialProps: { domain: string | undefined; refreshKey: number } = { domain: 'acme', refreshKey: 0 };
  return renderHook(({ domain, refreshKey }) => useLastValues(domain, refreshKey), {
    wrapper,
    initialProps,
  });
}

describe('useLastValues', () => {
  it('offers what was filed since the pane opened once the filing is done, not only after a reload', async () => {
    const api = new FakeApiClient();
    api.lastFiled = { invoice: { department: 'FIN' } };
    const { result, rerender } = render(api);
    await waitFor(() => expect(result.current).toEqual({ invoice: { department: 'FIN' } }));

    // the server recorded another filing; the pane learns it when its filing finishes
    api.lastFiled = { invoice: { department: 'HR' } };
    rerender({ domain: 'acme', refreshKey: 1 });
    // the values read before stay until the new answer is in: the form never blanks
    expect(result.current).toEqual({ invoice: { department: 'FIN' } });
    await waitFor(() => expect(result.current).toEqual({ invoice: { department: 'HR' } }));
  });

  it("never offers one domain's values in another", async () => {
    const api = new FakeApiClient();
    api.lastFiled = { invoice: { department: 'FIN' } };
    const { result, rerender } = render(api);
    await waitFor(() => expect(result.current).toBeDefined());
    rerender({ domain: undefined, refreshKey: 0 });
    expect(result.current).toBeUndefined();
  });
});
