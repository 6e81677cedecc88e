import { IMPORT_STATUSES } from '@toa/api/imports';
import { healthStatusSchema, type Health } from '@toa/api/identity';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ArchiveCallEntry } from '../archive/call-log.js';
import { mailQueueState } from '../mail/mail-worker-pool.js';
import { type AnswerListener, originalUrl } from '../http/every-answer.js';
import type { DomainStorage } from '../storage/domain-storage.js';
import { methodLabel, routeLabel } from './route-label.js';
import { type ScraperConfig, ScraperAccess, type ScraperVerdict } from './scraper-access.js';

/** Seconds; page uploads of 100 MB on a slow line take minutes. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds; an http archive may take up to its `timeoutMs` (default 60 s) per attempt. */
const ARCHIVE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

interface RequestSeries {
  duration: { observe(seconds: number): void };
  requests: { inc(): void };
}

/** What the metrics read at each scrape, known once the server is built. */
export interface MetricsSources {
  health(): Promise<Health>;
  /** the domains this node stores, by code */
  storages: ReadonlyMap<string, DomainStorage>;
  /** whether this node still owns `domain` (a cluster map read again on SIGHUP may have moved it away); default: every one */
  owns?(domain: string): boolean;
}

export interface ServerMetricsOptions {
  /** `metrics` of the configuration; absent: `/metrics` is not served */
  scrapers: ScraperConfig | undefined;
  env: NodeJS.ProcessEnv;
  version: string;
  /** this node's name in the cluster description, `single` without one */
  node: string;
}

/**
 * The server's Prometheus metrics (text format 0.0.4 through prom-client), in
 * a registry of its own so that several servers in one process (tests) never
 * mix. Counters and histograms move as things happen (requests, stored page
 * bytes, archive calls); gauges are read at each scrape from the state the
 * server already keeps (health, the listing index, the parse line), so a
 * scrape never walks the disk. Every label comes from a fixed set: route
 * patterns, methods, status codes, configured domains, import statuses.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #access: ScraperAccess;
  #sources: MetricsSources | undefined;

  readonly #requests = new Counter({
    name: 'toa_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status (`aborted`: the client left before an answer)',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly #duration = new Histogram({
    name: 'toa_http_request_duration_seconds',
    help: 'Time from a request’s arrival to the end of its answer, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  readonly #requestSeries = new Map<string, RequestSeries>();
  readonly #uploaded = new Counter({
    name: 'toa_upload_bytes_total',
    help: 'Bytes of pages stored by uploads',
    registers: [this.registry],
  });
  readonly #archiveCalls = new Counter({
    name: 'toa_archive_calls_total',
    help: 'Attempts to hand an import to the archive, by domain and outcome (ok, error)',
    labelNames: ['domain', 'outcome'],
    registers: [this.registry],
  });
  readonly #archiveDuration = new Histogram({
    name: 'toa_archive_call_duration_seconds',
    help: 'Duration of one attempt to hand an import to the archive, by domain and outcome',
    labelNames: ['domain', 'outcome'],
    buckets: ARCHIVE_BUCKETS,
    registers: [this.registry],
  });
  readonly #imports = this.#gauge('toa_imports', 'Imports in the listing index, by domain and status', ['domain', 'status']);
  readonly #indexEntries = this.#gauge('toa_index_entries', 'Imports held in the in-memory listing index, by domain', ['domain']);
  readonly #storedBytes = this.#gauge('toa_stored_page_bytes', 'Bytes of the pages the listing index lists, by domain (what quotas count)', ['domain']);
  readonly #catalogue = this.#gauge('toa_catalogue_available', 'Whether the domain has a template catalogue to serve (1) or not (0)', ['domain']);
  readonly #catalogueAge = this.#gauge('toa_catalogue_age_seconds', 'Age of the catalogue in use, from its source’s fetch time', ['domain']);
  readonly #archiveReady = this.#gauge(
    'toa_archive_ready',
    'Whether the domain’s archive is usable with what is configured (1) or not (0): token set, root writable',
    ['domain'],
  );
  readonly #health = this.#gauge('toa_health_status', 'The /api/health status: 1 for the current one of ok, degraded, failing', ['status']);
  readonly #free = this.#gauge('toa_data_root_free_bytes', 'Bytes an unprivileged writer may still use on the data root’s filesystem (statfs)');
  readonly #reserve = this.#gauge(
    'toa_data_root_reserve_bytes',
    'The configured free-space reserve (limits.freeSpaceReserveMb); below it new content is refused with 507',
  );
  readonly #queueLength = this.#gauge('toa_parse_queue_length', 'Messages waiting for a mail worker');
  readonly #queueCapacity = this.#gauge('toa_parse_queue_capacity', 'Messages that may wait (limits.parseQueueLength); one more is refused with 503');
  readonly #queueWait = this.#gauge('toa_parse_queue_oldest_wait_seconds', 'How long the message waiting longest has waited (0 when none waits)');
  readonly #workersBusy = this.#gauge('toa_parse_workers_busy', 'Mail workers parsing now');
  readonly #workers = this.#gauge('toa_parse_workers', 'Mail workers configured (limits.parseWorkers)');
  readonly #node = this.#gauge('toa_node_info', 'Always 1: this node’s name in the cluster (`single` without a cluster description) and its version', [
    'node',
    'version',
  ]);

  constructor(options: ServerMetricsOptions) {
    this.#access = new ScraperAccess(options.scrapers, options.env);
    this.#node.set({ node: options.node, version: options.version }, 1);
    // the process's own (CPU, memory, event-loop lag, GC), only where someone scrapes them
    if (options.scrapers) collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the scrape-time gauges to the server's state, once it is built. */
  readFrom(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Whether this caller may have the metrics; see ScraperAccess. */
  verdict(address: string | undefined, authorization: string | undefined): ScraperVerdict {
    return this.#access.verdict(address, authorization);
  }

  /**
   * Counts and times a request by its route pattern, once its answer has
   * ended (`onEveryAnswer`); `aborted` for the status when the client left
   * before an answer.
   */
  readonly answered: AnswerListener = (req, res, elapsedMs) => {
    const route = routeLabel(pathOf(originalUrl(req)));
    const status = res.headersSent ? String(res.statusCode) : 'aborted';
    const series = this.#series(methodLabel(req.method ?? ''), route, status);
    series.duration.observe(elapsedMs / 1000);
    series.requests.inc();
  };

  /** The two request series of one label set, looked up once: the label sets are few (methods × route patterns × statuses). */
  #series(method: string, route: string, status: string): RequestSeries {
    const key = `${method} ${route} ${status}`;
    let series = this.#requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status };
      series = { duration: this.#duration.labels(labels), requests: this.#requests.labels(labels) };
      this.#requestSeries.set(key, series);
    }
    return series;
  }

  /** After a page is stored: its size in bytes. */
  pageStored(bytes: number): void {
    this.#uploaded.inc(bytes);
  }

  /** Each line of the archive call log, as it is written. */
  archiveCall(entry: ArchiveCallEntry): void {
    const labels = { domain: entry.domain, outcome: entry.outcome };
    this.#archiveCalls.inc(labels);
    this.#archiveDuration.observe(labels, entry.durationMs / 1000);
  }

  /** The exposition text, gauges read now. */
  async render(): Promise<string> {
    await this.#readGauges();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async #readGauges(): Promise<void> {
    const queue = mailQueueState();
    this.#queueLength.set(queue.queued);
    this.#queueCapacity.set(queue.maxQueued);
    this.#queueWait.set(queue.oldestWaitMs / 1000);
    this.#workersBusy.set(queue.busy);
    this.#workers.set(queue.workers);
    if (!this.#sources) return;

    // a domain moved away since the last scrape loses its series
    for (const gauge of [this.#imports, this.#indexEntries, this.#storedBytes]) gauge.reset();
    for (const [domain, storage] of this.#sources.storages) {
      if (this.#sources.owns && !this.#sources.owns(domain)) continue;
      const counts = storage.statusCounts();
      let entries = 0;
      for (const status of IMPORT_STATUSES) {
        const count = counts.get(status) ?? 0;
        entries += count;
        this.#imports.set({ domain, status }, count);
      }
      this.#indexEntries.set({ domain }, entries);
      this.#storedBytes.set({ domain }, storage.usage('').domain.bytes);
    }

    const health = await this.#sources.health();
    for (const status of healthStatusSchema.options) this.#health.set({ status }, status === health.status ? 1 : 0);
    const checks = health.checks;
    if (!checks) return;
    for (const [domain, catalogue] of Object.entries(checks.catalogues)) {
      this.#catalogue.set({ domain }, catalogue.available ? 1 : 0);
      // NaN, not a stale number, while there is no catalogue
      this.#catalogueAge.set({ domain }, catalogue.ageSeconds ?? Number.NaN);
    }
    for (const [domain, archive] of Object.entries(checks.archives)) this.#archiveReady.set({ domain }, archive.ok ? 1 : 0);
    // NaN while statfs cannot read the data root (health is failing then)
    this.#free.set(checks.dataRoot.freeBytes ?? Number.NaN);
    if (checks.dataRoot.reserveBytes !== undefined) this.#reserve.set(checks.dataRoot.reserveBytes);
  }

  #gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}

/** The path of a request target, without its query (RFC 9112 §3.2: origin-form is absolute-path [ "?" query ]). */
function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}
