import { withTimeout } from '../retry';

export type OfficeStartup =
  | { kind: 'outlook' }
  /**
   * Not inside Outlook: `host` names another Office application; `failed` is
   * set when office.js never became ready. `detail` is for the console only.
   */
  | { kind: 'outside'; host?: string; failed?: boolean; detail: string };

/**
 * Waits for office.js to initialise. Outside Office, `Office.onReady` still resolves
 * (with no host) once office.js has loaded; the timeout covers a CDN that never answers.
 */
export async function waitForOffice(timeoutMs = 10_000): Promise<OfficeStartup> {
  if (typeof Office === 'undefined' || typeof Office.onReady !== 'function') {
    return { kind: 'outside', detail: 'Office.js is not loaded.' };
  }
  try {
    const info = await withTimeout(Office.onReady(), timeoutMs, 'Office.js');
    if (info.host === Office.HostType.Outlook && Office.context?.mailbox) return { kind: 'outlook' };
    return info.host ? { kind: 'outside', host: String(info.host), detail: `Office host ${info.host}` } : { kind: 'outside', detail: 'No Office host.' };
  } catch (error) {
    return { kind: 'outside', failed: true, detail: error instanceof Error ? error.message : String(error) };
  }
}
