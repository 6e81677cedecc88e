import { retryAfterMs } from '@toa/api/retry-after';

/** First retry waits about this long; each further retry doubles it. */
export const BACKOFF_BASE_MS = 500;
/** No pause between attempts is longer, whatever the archive asks for in Retry-After. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Pause before retry number `retry` (1 = the first retry): exponential, capped,
 * with "equal jitter" — half fixed, half random — so that servers retrying
 * after the same outage spread out without any of them retrying at once.
 */
export function backoffDelay(
  retry: number,
  random: () => number = Math.random,
  { baseMs = BACKOFF_BASE_MS, maxMs = MAX_RETRY_DELAY_MS }: { baseMs?: number; maxMs?: number } = {},
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * A `Retry-After` header as a pause in milliseconds (`@toa/api/retry-after`:
 * delay-seconds or an HTTP date), capped; `undefined` when absent or unreadable.
 */
export function retryAfterDelay(header: string | null, now: number = Date.now()): number | undefined {
  const ms = retryAfterMs(header, now);
  return ms === undefined ? undefined : Math.min(MAX_RETRY_DELAY_MS, ms);
}
