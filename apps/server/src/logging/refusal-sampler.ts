import type { Logger } from 'pino';

export interface RefusalSamplerOptions {
  /** refusals logged one by one per client address and window */
  perWindow: number;
  windowMs: number;
  /** addresses tracked at once; refusals from further ones are only counted, together */
  maxAddresses: number;
}

/** Refused requests a single address may have logged one by one, per minute. */
export const REFUSAL_SAMPLING: RefusalSamplerOptions = { perWindow: 10, windowMs: 60_000, maxAddresses: 10_000 };

/** What the summary line says for refusals from addresses beyond `maxAddresses`. */
const OTHER_ADDRESSES = 'other addresses';

/**
 * Which refused requests (401, 421, 429) the server log records one by one:
 * the first `perWindow` from each client address in each window; the rest
 * are counted and told in one line per address when the window ends. A
 * client that sends thousands of refused requests a second then costs the
 * log a few lines a minute, while a person who mistyped is still logged.
 */
export class RefusalSampler {
  private counts = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly options: RefusalSamplerOptions = REFUSAL_SAMPLING,
  ) {
    this.timer = setInterval(() => this.flush(), options.windowMs);
    this.timer.unref();
  }

  /** Counts one refusal from `address`; true when it is to be logged in full. */
  admit(address: string): boolean {
    const key = this.counts.has(address) || this.counts.size < this.options.maxAddresses ? address : OTHER_ADDRESSES;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return key !== OTHER_ADDRESSES && count <= this.options.perWindow;
  }

  /** Ends the window: one line for each address that had refusals left unlogged. */
  flush(): void {
    const counts = this.counts;
    this.counts = new Map();
    for (const [clientAddress, count] of counts) {
      const suppressed = clientAddress === OTHER_ADDRESSES ? count : count - this.options.perWindow;
      if (suppressed > 0) {
        this.logger.warn(
          { clientAddress, refused: count, notLogged: suppressed, windowSeconds: this.options.windowMs / 1000 },
          'refused requests not logged one by one',
        );
      }
    }
  }

  /** Stops the window timer and writes what the current window left unlogged. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
