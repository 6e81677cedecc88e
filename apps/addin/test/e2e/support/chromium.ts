import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from './pane';

/**
 * One Chromium for the test file that calls this (at its top level): launched
 * before its first test, closed after its last. The returned function gives
 * the running browser inside a test.
 */
export function chromiumForFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running: call chromiumForFile() at the top level of the test file');
    return browser;
  };
}
