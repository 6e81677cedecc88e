import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { pathExists, writeFileAtomic } from '../fs/atomic-fs.js';
import type { Layout } from '../storage/layout.js';

/** How often the server looks for drain requests (`toa-server cluster drain` writes one). */
export const DRAIN_POLL_MS = 500;

/** Seconds a refused write is told to wait: a move takes a copy and a reload, about a minute for a large domain. */
export const DRAIN_RETRY_AFTER_SECONDS = 10;

export interface DomainDrainsDeps {
  layout: Layout;
  /** the domains this node owns at its start (`watch` adds one placed here since) */
  domains: readonly string[];
  /** resolves once the archive calls in flight have ended (a submit's call outlives its request) */
  settled: () => Promise<void>;
  logger: Logger;
}

/**
 * The domains of this node that are read-only because they are moving to
 * another node. A drain request is a file in the data root, so it survives a
 * restart of the old node in the middle of a move. Writes under way when the
 * request is seen are waited for (the request's handler has answered, and
 * the archive calls in flight have ended); then the server writes the
 * acknowledgement the `drain` command waits for, and from then on nothing of
 * the domain changes on this node.
 */
export class DomainDrains {
  readonly #deps: DomainDrainsDeps;
  readonly #domains: Set<string>;
  readonly #draining = new Set<string>();
  readonly #acknowledged = new Set<string>();
  readonly #writes = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(deps: DomainDrainsDeps) {
    this.#deps = deps;
    this.#domains = new Set(deps.domains);
  }

  /** Looks for drain requests of `domain` too (a domain placed on this node while it runs), from the next look on. */
  watch(domain: string): void {
    this.#domains.add(domain);
  }

  isDraining(domain: string): boolean {
    return this.#draining.has(domain);
  }

  /** Counts a write of `domain` as under way; call the result once its handler has answered. */
  beginWrite(domain: string): () => void {
    this.#writes.set(domain, (this.#writes.get(domain) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#writes.set(domain, (this.#writes.get(domain) ?? 1) - 1);
    };
  }

  /** Reads the drain requests now and every DRAIN_POLL_MS until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'reading the drain requests failed'));
    }, DRAIN_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One look at the drain requests; acknowledges each drained domain that has nothing under way. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const { layout, logger } = this.#deps;
    for (const domain of this.#domains) {
      const requested = await pathExists(layout.drainRequestFile(domain));
      if (requested && !this.#draining.has(domain)) {
        this.#draining.add(domain);
        logger.warn({ domain }, `domain ${domain} is draining: reads are served, writes answer 503 until it has moved`);
      } else if (!requested && this.#draining.has(domain)) {
        this.#draining.delete(domain);
        this.#acknowledged.delete(domain);
        await rm(layout.drainDoneFile(domain), { force: true });
        logger.warn({ domain }, `domain ${domain} is no longer draining: writes are accepted again`);
      }
    }
    for (const domain of this.#draining) {
      if (this.#acknowledged.has(domain) || (this.#writes.get(domain) ?? 0) > 0) continue;
      await this.#deps.settled();
      if (!this.#draining.has(domain)) continue;
      await writeFileAtomic(layout.drainDoneFile(domain), `${JSON.stringify({ pid: process.pid, host: hostname(), drainedAt: new Date().toISOString() })}\n`);
      this.#acknowledged.add(domain);
      logger.warn({ domain }, `domain ${domain} is drained: nothing is under way; its folder may be copied`);
    }
  }
}
