import { FluentProvider, webDarkTheme, webLightTheme } from '@fluentui/react-components';
import type { ReactNode } from 'react';
import { type ApiClient, createApiClient } from '../lib/api-client';
import { ApiClientProvider } from '../lib/api-client-context';
import { userProfile } from '../lib/office/mailbox';
import { officeThemeName } from '../lib/office/theme';

export interface AppProviderProps {
  children: ReactNode;
  /** the pane's `officeApiClient()`; tests inject a fake */
  client: ApiClient;
}

export function AppProvider({ children, client }: AppProviderProps) {
  return (
    <ThemeProvider>
      <ApiClientProvider client={client}>{children}</ApiClientProvider>
    </ThemeProvider>
  );
}

/** The pane's API client: `/api` on the pane's own origin, as the Office user (call once Office is ready). */
export function officeApiClient(): ApiClient {
  return createApiClient({
    identity: () => {
      const profile = userProfile();
      return { email: profile.emailAddress, name: profile.displayName };
    },
    // jwt mode: asked only when the server challenges for a bearer token (never in dev mode), so the
    // sign-in code is loaded then, not with the pane
    accessToken: async () => (await signIn()).getAccessToken(),
  });
}

/** The Office sign-in module, loaded on first use; a failed load is said in the user's words. */
function signIn(): Promise<typeof import('../lib/office/auth')> {
  return import('../lib/office/auth').catch((cause: unknown) => {
    throw new Error('TOA could not load its sign-in. Check your network connection, then try again.', { cause });
  });
}

/** Fluent's web theme matching Office's light or dark look. */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const dark = typeof Office !== 'undefined' && officeThemeName() === 'dark';
  return (
    // color-scheme: native parts Fluent does not draw (the date picker's icon, scroll bars) follow the theme too.
    <FluentProvider theme={dark ? webDarkTheme : webLightTheme} style={{ minHeight: '100vh', colorScheme: dark ? 'dark' : 'light' }}>
      {children}
    </FluentProvider>
  );
}
