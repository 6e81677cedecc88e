import { AppError } from '../errors.js';

/** What a client is told to wait for a domain that is still being recovered. */
export const STARTING_RETRY_AFTER_SECONDS = 1;

/**
 * Which domains serve their imports yet (ADR 0019). The server answers as
 * soon as its port is bound, while the start-up pass — the recovery sweep
 * and the listing index, one pass over each domain's import folders — still
 * runs; a domain opens once its pass is done. Until then anything that reads
 * or writes its imports answers 503 `STARTING` with `Retry-After`: no request
 * sees a half-built index or races the sweep of the same domain. Health says
 * `starting` until every domain is open, `failing` if a pass failed.
 */
export class StartupGate {
  readonly #closed: Set<string>;
  /** why a domain's pass failed, by domain */
  readonly #failures = new Map<string, string>();

  /** `domains`: the codes whose pass has to run; each stays closed until `open`. */
  constructor(domains: Iterable<string>) {
    this.#closed = new Set(domains);
  }

  /** The domain's pass is done: its requests are served from now on. */
  open(domain: string): void {
    this.#closed.delete(domain);
  }

  /**
   * A domain placed on this node while it runs (a cluster map read again,
   * docs/scaling.md): closed until its own pass is done, as at a start.
   * Forgets an earlier failure of its pass.
   */
  close(domain: string): void {
    this.#closed.add(domain);
    this.#failures.delete(domain);
  }

  /** A pass failed (the reason in a few words): those domains (every closed one by default) stay closed, health says `failing`. */
  fail(reason: string, domains: Iterable<string> = this.#closed): void {
    for (const domain of domains) this.#failures.set(domain, reason);
  }

  /** True until every domain is open. */
  get starting(): boolean {
    return this.#closed.size > 0;
  }

  /** Why a pass failed, when one did (the first reason of the domains still closed). */
  get failure(): string | undefined {
    for (const domain of this.#closed) {
      const reason = this.#failures.get(domain);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /** Whether `domain`'s pass is done (its requests are served). */
  isOpen(domain: string): boolean {
    return !this.#closed.has(domain);
  }

  /** The domains still closed, in the order they were given. */
  closed(): string[] {
    return [...this.#closed];
  }

  /** Throws `STARTING` (503, `Retry-After`) while `domain` is closed; other codes pass (an unknown one is the caller's 404). */
  check(domain: string): void {
    if (!this.#closed.has(domain)) return;
    const failure = this.#failures.get(domain);
    const detail = failure
      ? `the imports of domain "${domain}" cannot be served: the start-up pass over them failed (${failure}); the administrator has been told`
      : `the server has just started and is still checking the imports of domain "${domain}"; try again in a moment`;
    throw new AppError('STARTING', detail, { retryAfterSeconds: STARTING_RETRY_AFTER_SECONDS });
  }
}
