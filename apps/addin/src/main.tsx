import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { OutsideOffice } from './app/outside-office';
import { AppProvider, officeApiClient, ThemeProvider } from './app/provider';
import { startingDomain } from './hooks/use-message-draft';
import { messageKeyOf, readCurrentMessage } from './lib/office/mailbox';
import { waitForOffice } from './lib/office/ready';
import { preloadingClient } from './lib/preload';

const root = createRoot(document.getElementById('root') as HTMLElement);

// Office.context is only usable after onReady; nothing renders before it.
void waitForOffice().then((startup) => {
  // the reason is for whoever looks at the console; the user reads a sentence meant for them
  if (startup.kind === 'outside') console.info(`TOA runs outside Outlook: ${startup.detail}`);
  root.render(
    <StrictMode>
      {startup.kind === 'outlook' ? (
        // the form's first reads start now, while React renders the shell, not after it
        <AppProvider client={preloadingClient(officeApiClient(), startingDomain(messageKeyOf(readCurrentMessage())))}>
          <App />
        </AppProvider>
      ) : (
        <ThemeProvider>
          <OutsideOffice startup={startup} />
        </ThemeProvider>
      )}
    </StrictMode>,
  );
});
