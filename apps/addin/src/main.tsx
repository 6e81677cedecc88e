import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { OutsideOffice } from './app/outside-office';
import { AppProvider, ThemeProvider } from './app/provider';
import { waitForOffice } from './lib/office/ready';

const root = createRoot(document.getElementById('root') as HTMLElement);

// Office.context is only usable after onReady; nothing renders before it.
void waitForOffice().then((startup) => {
  // the reason is for whoever looks at the console; the user reads a sentence meant for them
  if (startup.kind === 'outside') console.info(`TOA runs outside Outlook: ${startup.detail}`);
  root.render(
    <StrictMode>
      {startup.kind === 'outlook' ? (
        <AppProvider>
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
