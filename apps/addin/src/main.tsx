import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { OutsideOffice } from './app/outside-office';
import { AppProvider, ThemeProvider } from './app/provider';
import { waitForOffice } from './lib/office/ready';

const root = createRoot(document.getElementById('root') as HTMLElement);

// Office.context is only usable after onReady; nothing renders before it.
void waitForOffice().then((startup) => {
  root.render(
    <StrictMode>
      {startup.kind === 'outlook' ? (
        <AppProvider>
          <App />
        </AppProvider>
      ) : (
        <ThemeProvider>
          <OutsideOffice reason={startup.reason} />
        </ThemeProvider>
      )}
    </StrictMode>,
  );
});
