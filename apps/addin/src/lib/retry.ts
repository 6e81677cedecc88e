/** Waits `ms`, or rejects at once with the signal's reason when it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A pause before another attempt, as `retry` reports it (to show the user what it waits for). */
export interface RetryWait {
  /** the attempt that failed (1 = the first) */
  attempt: number;
  /** every attempt there may be, the first included */
  attempts: number;
  /** how long the pause lasts */
  delayMs: number;
  /** why: what the failed attempt threw */
  error: unknown;
}

export interface RetryOptions {
  /** total attempts, the first included */
  attempts: number;
  /** delay before the second attempt; doubled after each further failure */
  baseDelayMs: number;
  /** the longest back-off delay */
  maxDelayMs?: number;
  /** whether a failure is worth another attempt */
  isRetryable: (error: unknown) => boolean;
  /**
   * The pause a failure itself asks for (a server's `Retry-After`), in ms and
   * already capped by the caller; it takes the place of the back-off delay.
   */
  requestedDelay?: (error: unknown) => number | undefined;
  /** told before each pause */
  onWait?: (wait: RetryWait) => void;
  signal?: AbortSignal;
}

/**
 * Runs `task` until it succeeds, fails for good, or runs out of attempts:
 * pausing as the failure asks (`requestedDelay`), else with exponential
 * back-off. Throws the last failure; an abort ends the pause at once.
 */
export async function retry<T>(task: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  let backoff = options.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = options.requestedDelay?.(error) ?? backoff;
      options.onWait?.({ attempt, attempts: options.attempts, delayMs, error });
      await sleep(delayMs, options.signal);
      backoff = Math.min(backoff * 2, options.maxDelayMs ?? Number.POSITIVE_INFINITY);
    }
  }
}

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${Math.round(ms / 1000)} s`);
    this.name = 'TimeoutError';
  }
}

/** Rejects with a TimeoutError when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
