import { retry, withTimeout } from '../retry';

/** A failed Office.js call, with Office's own error code and name when it gave one. */
export class OfficeError extends Error {
  readonly code: number | undefined;
  readonly officeName: string | undefined;
  constructor(what: string, error?: Office.Error) {
    super(error?.message ? `${what}: ${error.message}` : `${what} failed`);
    this.name = 'OfficeError';
    this.code = error?.code;
    this.officeName = error?.name;
  }
}

export interface OfficeCallOptions {
  timeoutMs: number;
  /** total attempts; more than 1 only where Office is known to flake */
  attempts?: number;
  retryDelayMs?: number;
}

/**
 * Turns one callback-style Office.js call into a promise with a timeout: hosts
 * sometimes never call back (e.g. when the item changes under a pinned pane).
 */
export function callOffice<T>(what: string, invoke: (callback: (result: Office.AsyncResult<T>) => void) => void, options: OfficeCallOptions): Promise<T> {
  const succeeded = Office.AsyncResultStatus.Succeeded;
  const once = () =>
    withTimeout(
      new Promise<T>((resolve, reject) => {
        invoke((result) => {
          if (result.status === succeeded) resolve(result.value);
          else reject(new OfficeError(what, result.error));
        });
      }),
      options.timeoutMs,
      what,
    );
  return retry(once, {
    attempts: options.attempts ?? 1,
    baseDelayMs: options.retryDelayMs ?? 500,
    // Permission and "not supported" errors do not heal; Office's transient ones
    // (internal error, timeouts, "item busy") usually do.
    isRetryable: (error) => !(error instanceof OfficeError && isPermanentOfficeError(error)),
  });
}

/** Office error codes that another attempt will not fix. */
const PERMANENT_CODES = new Set([
  5000, // API not supported
  9017, // PermissionDenied / insufficient permission
  9041, // API not supported in this mode
  9045, // no access
]);

function isPermanentOfficeError(error: OfficeError): boolean {
  return (
    (error.code !== undefined && PERMANENT_CODES.has(error.code)) ||
    /permission|denied|not supported|notsupported/i.test(`${error.officeName ?? ''} ${error.message}`)
  );
}
