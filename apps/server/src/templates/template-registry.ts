import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogueStatus } from '@toa/api/identity';
import type { Catalogue, Template } from '@toa/api/templates';
import type { Logger } from 'pino';
import { backoffDelay } from '../archive/backoff.js';
import { type Clock, systemClock } from '../clock.js';
import { type DomainConfig, intervalMs } from '../config/schema.js';
import { AppError, errnoCode } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-fs.js';
import { downloadBounded, readFileBounded } from './catalogue-source.js';
import { DEFAULT_CATALOGUE_MAX_BYTES, parseCatalogueXml } from './catalogue-xml.js';

export type CatalogueSource = 'file' | 'url' | 'cache';

export type CatalogueState =
  | {
      available: true;
      catalogue: Catalogue;
      source: CatalogueSource;
      /** when this process loaded it */
      loadedAt: string;
      /** when its content left the source: the load for `file` and `url`, the download that wrote the cached copy for `cache` */
      fetchedAt: string;
    }
  | { available: false; reason: string };

/** After a failed download the next attempt waits this long, doubling per failure… */
export const CATALOGUE_RETRY_BASE_MS = 5_000;
/** …up to this (never longer than the refresh interval). */
export const CATALOGUE_RETRY_MAX_MS = 5 * 60_000;

export interface TemplateRegistryOptions {
  domains: readonly DomainConfig[];
  /** where a URL domain's catalogue is cached (the data root's layout decides: SPEC §3.1) */
  cacheFile: (code: string) => string;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: Clock;
  /** largest catalogue accepted, from a file or a download (default 5 MB) */
  maxBytes?: number;
  /** where `tokenEnv` / `basicAuthEnv` are looked up; `process.env` by default */
  env?: NodeJS.ProcessEnv;
}

type UrlSource = Extract<DomainConfig['templates'], { url: string }>;

/** setTimeout's ceiling (about 24.8 days); longer refresh intervals are waited out in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every domain's template catalogue, loaded at start and kept current. A
 * domain whose catalogue cannot be loaded is unavailable with a reason; it
 * never affects the others, and nothing here throws for a configured domain.
 */
export class TemplateRegistry {
  readonly #domains: ReadonlyMap<string, DomainConfig>;
  readonly #cacheFile: (code: string) => string;
  readonly #logger: Logger;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #maxBytes: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #states = new Map<string, CatalogueState>();
  /** loads in flight, so that a timer and a manual refresh share one download */
  readonly #loading = new Map<string, Promise<CatalogueState>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** the failures since the last good load, per domain */
  readonly #failures = new Map<string, { count: number; at: string; reason: string }>();
  readonly #nextAttempt = new Map<string, Date>();
  /** aborts downloads in flight and stops rescheduling */
  readonly #stopped = new AbortController();

  constructor(options: TemplateRegistryOptions) {
    this.#domains = new Map(options.domains.map((domain) => [domain.code, domain]));
    this.#cacheFile = options.cacheFile;
    this.#logger = options.logger;
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
    this.#maxBytes = options.maxBytes ?? DEFAULT_CATALOGUE_MAX_BYTES;
    this.#env = options.env ?? process.env;
  }

  /**
   * Loads every domain's catalogue. A URL domain is then downloaded again
   * every `refresh`, and after a failure sooner: in 5 s, 10 s, 20 s… up to
   * 5 minutes, until a download succeeds.
   */
  async start(): Promise<void> {
    await this.refreshAll();
  }

  /** Loads every domain's catalogue again (SIGHUP, `toa-server templates refresh`). */
  async refreshAll(): Promise<void> {
    await Promise.all([...this.#domains.keys()].map((code) => this.refresh(code)));
  }

  /** Stops the refresh timers and aborts downloads in flight; final. */
  stop(): void {
    this.#stopped.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** The domain's catalogue, or why it has none. Throws `DOMAIN_NOT_FOUND` for a domain not configured. */
  state(code: string): CatalogueState {
    this.#domain(code);
    return this.#states.get(code) ?? { available: false, reason: 'the catalogue has not been loaded yet' };
  }

  /** The domain's catalogue as an administrator sees it: source, age, the failure since the last good load, the next attempt. */
  status(code: string): CatalogueStatus {
    const state = this.state(code);
    const failure = this.#failures.get(code);
    const next = this.#nextAttempt.get(code);
    const now = this.#clock.now().getTime();
    return {
      available: state.available,
      ...(state.available
        ? {
            source: state.source,
            fetchedAt: state.fetchedAt,
            ageSeconds: Math.max(0, Math.floor((now - Date.parse(state.fetchedAt)) / 1000)),
            templates: state.catalogue.templates.length,
          }
        : {}),
      ...(failure ? { lastFailure: { at: failure.at, reason: failure.reason } } : {}),
      ...(next ? { nextAttemptAt: next.toISOString() } : {}),
    };
  }

  /** A template of the domain's catalogue; `undefined` when the domain, its catalogue or the template is missing. */
  template(code: string, templateId: string): Template | undefined {
    const state = this.#states.get(code);
    return state?.available ? state.catalogue.templates.find((template) => template.id === templateId) : undefined;
  }

  /**
   * Loads the catalogue again (a file domain re-reads its file, a URL domain
   * downloads) and, for a URL domain, schedules the next download by the
   * outcome. When loading fails, a domain that has a catalogue keeps it.
   */
  refresh(code: string): Promise<CatalogueState> {
    const domain = this.#domain(code);
    let loading = this.#loading.get(code);
    if (!loading) {
      loading = this.#load(domain).finally(() => this.#loading.delete(code));
      this.#loading.set(code, loading);
      const { templates } = domain;
      if ('url' in templates) void loading.then(() => this.#schedule(code, this.#nextDelay(code, intervalMs(templates.refresh))));
    }
    return loading;
  }

  /** Where the domain's catalogue comes from, for an operator: its file, or its URL without the query (which may carry secrets). */
  source(code: string): string {
    const { templates } = this.#domain(code);
    return 'url' in templates ? loggableUrl(templates.url) : templates.file;
  }

  #domain(code: string): DomainConfig {
    const domain = this.#domains.get(code);
    if (!domain) throw new AppError('DOMAIN_NOT_FOUND', `unknown domain "${code}"`);
    return domain;
  }

  /** The refresh interval after a good download; after failures a back-off of seconds to minutes, never beyond the interval. */
  #nextDelay(code: string, interval: number): number {
    const failures = this.#failures.get(code)?.count ?? 0;
    if (failures === 0) return interval;
    return Math.min(interval, backoffDelay(failures, Math.random, { baseMs: CATALOGUE_RETRY_BASE_MS, maxMs: CATALOGUE_RETRY_MAX_MS }));
  }

  #schedule(code: string, delay: number, remaining = delay): void {
    clearTimeout(this.#timers.get(code));
    if (this.#stopped.signal.aborted) return;
    if (remaining === delay) this.#nextAttempt.set(code, new Date(this.#clock.now().getTime() + delay));
    const step = Math.min(remaining, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (step < remaining) this.#schedule(code, delay, remaining - step);
      else void this.refresh(code);
    }, step);
    // A pending refresh must never keep the process alive.
    timer.unref();
    this.#timers.set(code, timer);
  }

  async #load({ code, templates }: DomainConfig): Promise<CatalogueState> {
    try {
      return 'url' in templates ? await this.#loadUrl(code, templates) : await this.#loadFile(code, templates.file);
    } catch (error) {
      // Only a bug gets here; it must still not take the other domains or the server down.
      this.#recordFailure(code, describe(error));
      return this.#failed(code, { source: 'url' in templates ? 'url' : 'file', reason: describe(error) });
    }
  }

  async #loadFile(code: string, file: string): Promise<CatalogueState> {
    try {
      return this.#loaded(code, await this.#readCatalogueFile(file), 'file');
    } catch (error) {
      const reason = `the catalogue file cannot be used: ${describe(error)}`;
      this.#recordFailure(code, reason);
      return this.#failed(code, { source: 'file', file, reason });
    }
  }

  async #readCatalogueFile(file: string): Promise<Catalogue> {
    return parseCatalogueXml(await readFileBounded(file, this.#maxBytes), { maxBytes: this.#maxBytes });
  }

  async #loadUrl(code: string, source: UrlSource): Promise<CatalogueState> {
    const { url, timeoutMs } = source;
    const where = { source: 'url' as const, url: loggableUrl(url) };
    let bytes: Buffer;
    let catalogue: Catalogue;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#stopped.signal]);
      const authorization = catalogueAuthorization(source, this.#env);
      bytes = await downloadBounded(url, { fetch: this.#fetch, signal, maxBytes: this.#maxBytes, ...(authorization ? { authorization } : {}) });
      catalogue = parseCatalogueXml(bytes, { maxBytes: this.#maxBytes });
    } catch (error) {
      const reason = `the catalogue download failed: ${describe(error, timeoutMs)}`;
      this.#recordFailure(code, reason);
      if (this.#states.get(code)?.available) return this.#failed(code, { ...where, reason });
      return this.#loadCache(code, where.url, reason);
    }
    await this.#writeCache(code, bytes);
    return this.#loaded(code, catalogue, 'url');
  }

  /** Only validated bytes are cached, so the cache is always the last good download. */
  async #writeCache(code: string, bytes: Buffer): Promise<void> {
    const file = this.#cacheFile(code);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, bytes);
    } catch (error) {
      // The download is good and stays in use; only a later outage would miss the copy.
      this.#logger.warn({ domain: code, source: 'cache', file, reason: describe(error) }, 'template catalogue could not be cached');
    }
  }

  async #loadCache(code: string, url: string, downloadFailure: string): Promise<CatalogueState> {
    const file = this.#cacheFile(code);
    let catalogue: Catalogue;
    let fetchedAt: string;
    try {
      catalogue = await this.#readCatalogueFile(file);
      fetchedAt = (await stat(file)).mtime.toISOString();
    } catch (error) {
      const cacheFailure = errnoCode(error) === 'ENOENT' ? 'there is no cached copy' : `the cached copy cannot be used: ${describe(error)}`;
      return this.#failed(code, { source: 'url', url, reason: `${downloadFailure}; ${cacheFailure}` });
    }
    this.#logger.warn({ domain: code, source: 'cache', url, file, reason: downloadFailure }, 'template catalogue download failed; using the cached copy');
    return this.#loaded(code, catalogue, 'cache', fetchedAt);
  }

  #loaded(code: string, catalogue: Catalogue, source: CatalogueSource, fetchedAt?: string): CatalogueState {
    const loadedAt = this.#clock.now().toISOString();
    const state: CatalogueState = { available: true, catalogue, source, loadedAt, fetchedAt: fetchedAt ?? loadedAt };
    this.#states.set(code, state);
    if (source !== 'cache') {
      // the cache stands in for a URL that failed; only the source itself ends the failure
      this.#failures.delete(code);
      this.#logger.info({ domain: code, source, templates: catalogue.templates.length }, 'template catalogue loaded');
    }
    return state;
  }

  #recordFailure(code: string, reason: string): void {
    const count = (this.#failures.get(code)?.count ?? 0) + 1;
    this.#failures.set(code, { count, at: this.#clock.now().toISOString(), reason });
  }

  /** A failed load: a domain that has a catalogue keeps it; one without stays unavailable with the reason. */
  #failed(code: string, problem: { source: CatalogueSource; reason: string; url?: string; file?: string }): CatalogueState {
    const current = this.#states.get(code);
    if (current?.available) {
      this.#logger.warn(
        { domain: code, ...problem, inUse: { source: current.source, loadedAt: current.loadedAt } },
        'template catalogue refresh failed; keeping the catalogue in use',
      );
      return current;
    }
    this.#logger.error({ domain: code, ...problem }, 'template catalogue unavailable');
    const state: CatalogueState = { available: false, reason: problem.reason };
    this.#states.set(code, state);
    return state;
  }
}

/** A URL without its query, which may carry secrets. */
function loggableUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * The `Authorization` header a URL source asks for: `Bearer <$tokenEnv>`, or
 * Basic with `user:password` from `$basicAuthEnv`. Throws when the variable is
 * unset, so the download fails with a reason instead of going out unauthenticated.
 */
function catalogueAuthorization(source: UrlSource, env: NodeJS.ProcessEnv): string | undefined {
  const [key, variable] = source.tokenEnv ? ['tokenEnv', source.tokenEnv] : source.basicAuthEnv ? ['basicAuthEnv', source.basicAuthEnv] : [];
  if (!variable) return undefined;
  const value = env[variable];
  if (!value) throw new Error(`the environment variable ${variable} named in templates.${key} is not set`);
  return key === 'tokenEnv' ? `Bearer ${value}` : `Basic ${Buffer.from(value).toString('base64')}`;
}

/**
 * A short reason for people (the 503 answer and the log): no stack, no local
 * paths (Node's file errors name the path after a comma).
 */
function describe(error: unknown, timeoutMs?: number): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no complete answer within ${timeoutMs ?? '?'} ms`;
  if (error.name === 'AbortError') return 'the server is stopping';
  const code = errnoCode(error);
  if (code !== undefined && error.message.startsWith(`${code}:`)) return error.message.split(', ')[0] ?? code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
