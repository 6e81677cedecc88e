import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { BrowserConfig, BrowserState } from '../../../preview/office/browser';
import type { OutlookMessage } from './corpus-message';
import { addinDir, CHROMIUM } from './paths';

const OFFICE_CDN = 'https://appsforoffice.microsoft.com/**';
/** The Office stand-in (preview/office/stand-in.ts) as the build writes it for browsers; answered in place of office.js. */
const officeStandIn = readFileSync(path.join(addinDir, 'dist-preview', 'office-stand-in.js'), 'utf8');

/** What the stand-in reads from `window.__TOA_OFFICE_CONFIG__` (preview/office/browser.ts). */
export type OfficeConfig = BrowserConfig & { message: OutlookMessage | null };

/** What the stand-in recorded of the pane's calls into Office. */
export type OfficeState = BrowserState;

const USER = { displayName: 'Dana Novak', emailAddress: 'dana@acme.example' };

/** Office's dark theme paints the pane this colour; the pane follows it. */
export const DARK_BACKGROUND = '#292929';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Outlook's usual task-pane size; a narrower one (320 px, the narrowest Outlook gives) is passed where it matters. */
export const TASK_PANE_VIEWPORT = { width: 360, height: 720 };

/**
 * Opens the pane the server serves, in a fresh context (own localStorage) at
 * task-pane size (or `viewport`). office.js from Microsoft's CDN is answered with the Office stand-in and
 * any other request off loopback fails, so nothing leaves the machine.
 */
export async function openPane(
  browser: Browser,
  serverUrl: string,
  office: OfficeConfig,
  { viewport = TASK_PANE_VIEWPORT }: { viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  // Zone and locale fixed: the pre-filled dates and the dates shown must not depend on the machine.
  const context = await browser.newContext({ viewport, timezoneId: 'Europe/Prague', locale: 'en-US' });
  // Later routes win: office.js is answered, anything else off loopback is refused.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  );
  await context.route(OFFICE_CDN, (route) => route.fulfill({ contentType: 'text/javascript', body: officeStandIn }));
  return loadPane(await context.newPage(), serverUrl, office);
}

/**
 * Opens the pane again for another message in the context of `earlier` (the
 * same Outlook profile: its localStorage, settings and drafts stay), as when
 * the user opens the pane on the next message.
 */
export async function openPaneBeside(earlier: Page, serverUrl: string, office: OfficeConfig): Promise<Page> {
  return loadPane(await earlier.context().newPage(), serverUrl, office);
}

async function loadPane(page: Page, serverUrl: string, office: OfficeConfig): Promise<Page> {
  await page.addInitScript(
    (config) => {
      (window as unknown as { __TOA_OFFICE_CONFIG__: unknown }).__TOA_OFFICE_CONFIG__ = config;
    },
    { user: USER, ...office },
  );
  await page.goto(`${serverUrl}/taskpane.html`);
  return page;
}

export function officeState(page: Page): Promise<OfficeState> {
  return page.evaluate(() => (window as unknown as { __TOA_OFFICE_STATE__: OfficeState }).__TOA_OFFICE_STATE__);
}
