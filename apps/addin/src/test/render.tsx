import { FluentProvider, webLightTheme } from '@fluentui/react-components';
import { render } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import type { ApiClient } from '../lib/api-client';
import { ApiClientProvider } from '../lib/api-client-context';

export function Providers({ client, children }: { client?: ApiClient; children: ReactNode }) {
  const themed = <FluentProvider theme={webLightTheme}>{children}</FluentProvider>;
  return client ? <ApiClientProvider client={client}>{themed}</ApiClientProvider> : themed;
}

export function renderWithProviders(ui: ReactElement, client?: ApiClient) {
  return render(ui, { wrapper: ({ children }) => <Providers client={client}>{children}</Providers> });
}
