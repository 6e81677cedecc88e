import { withTimeout } from '../retry';

export type OfficeStartup =
  | { kind: 'outlook' }
  /** office.js missing or loaded outside an Office host, or a host other than Outlook */
  | { kind: 'outside'; reason: string };

/**
 * Waits for office.js to initialise. Outside Office, `Office.onReady` still resolves
 * (with no host) once office.js has loaded; the timeout covers a CDN that never answers.
 */
export async function waitForOffice(timeoutMs = 10_000): Promise<OfficeStartup> {
  if (typeof Office === 'undefined' || typeof Office.onReady !== 'function') {
    return { kind: 'outside', reason: 'Office.js is not loaded.' };
  }
  try {
    const info = await withTimeout(Office.onReady(), timeoutMs, 'Office.js');
    if (info.host === Office.HostType.Outlook && Office.context?.mailbox) return { kind: 'outlook' };
    return { kind: 'outside', reason: info.host ? `This add-in runs in Outlook, not in ${info.host}.` : 'No Office host.' };
  } catch (error) {
    return { kind: 'outside', reason: error instanceof Error ? error.message : String(error) };
  }
}
