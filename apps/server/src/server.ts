import { access, constants } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Health, ReadinessCheck } from '@toa/api/identity';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { composeStorage, retentionOf, templateRegistryOf } from './composition.js';
import type { ArchiveClient } from './archive/archive-client.js';
import { ArchiveCallLog } from './archive/call-log.js';
import { createArchiveClient } from './archive/create-archive-client.js';
import { type Clock, systemClock } from './clock.js';
import { AppError, fileProblem, StartupError } from './errors.js';
import { describeProvenance, provenance } from './config/provenance.js';
import type { ClusterPlacement, Config, DomainConfig } from './config/schema.js';
import type { AppContext } from './http/context.js';
import { type HeldPort, listenFirst } from './http/listen-first.js';
import { AuditLog } from './logging/audit-log.js';
import { createLogger, LIFECYCLE } from './logging/logger.js';
import { closeMailWorkers, configureMailWorkers } from './mail/mail-worker-pool.js';
import { ClusterMap, type ClusterMapChange, reloadClusterMap } from './cluster/cluster-map.js';
import { DomainDrains } from './cluster/domain-drains.js';
import { DomainDirectory } from './services/domain-directory.js';
import { ImportService } from './services/import-service.js';
import { domainQuota, Quotas } from './services/quotas.js';
import type { RetentionReport } from './services/retention.js';
import { lockDataRoot, logSweep, markCleanStop, sweptWhole } from './storage/data-root.js';
import { FreeSpace, reserveWarning } from './fs/free-space.js';
import { Layout } from './storage/layout.js';
import type { DomainStorage } from './storage/domain-storage.js';
import { emptySweepReport, type SweepReport } from './storage/recovery.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { Readiness } from './readiness.js';
import { Sampled } from './sampled.js';
import { StartupGate } from './services/startup-gate.js';

const DAY_MS = 86_400_000;
const VERSION = '0.1.0';

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  fetch?: typeof fetch;
  /** where the variables named by `…Env` keys are looked up; `process.env` by default */
  env?: NodeJS.ProcessEnv;
  /** how long `submit` waits for a quick archive before answering 202 */
  submitWaitMs?: number;
  /** how long a request's headers may take to arrive (slow-loris protection); 30 s, shorter only in tests; only where the port is taken here */
  headersTimeoutMs?: number;
  /**
   * The port, already taken by `listenFirst` (`toa-server serve` takes it
   * before loading this module); taken here otherwise. It is handed over:
   * closed here when the start fails and by `close()`.
   */
  heldPort?: HeldPort;
}

export interface RunningServer {
  url: string;
  server: Server;
  context: AppContext;
  /**
   * Resolves with what the start-up pass found once every domain is open (its
   * sweep done, its listing index built, its PENDING imports resumed) and the
   * first retention sweep has run. Rejects when the pass fails; the server
   * then keeps answering, with health `failing` and the closed domains 503.
   */
  started: Promise<SweepReport>;
  retention(options?: { dryRun?: boolean }): Promise<RetentionReport>;
  /**
   * A cluster node's SIGHUP (docs/scaling.md): takes the map `read` gives
   * (see `reloadClusterMap`; a broken one is logged and the running map
   * kept). A domain moved away answers 421 at once; a domain placed here is
   * opened in the background by the pass a start runs (archive staging swept,
   * folder recovered, index built, PENDING imports resumed), answering 503
   * `STARTING` with `Retry-After` meanwhile. `undefined` without a cluster or
   * when the map was kept.
   */
  reloadCluster(read: () => ClusterPlacement | undefined): ClusterMapChange | undefined;
  /**
   * Stops accepting requests, waits for archive calls, page uploads,
   * extractions and sidecar rewrites in flight (their temporaries removed),
   * stops the mail parse workers, marks a clean stop (ADR 0025) and releases
   * the data root.
   */
  close(): Promise<void>;
}

/**
 * The composition root: builds every part from the configuration and hands
 * the app to the port (taken here, or by `serve` before this module loaded:
 * `heldPort`). The order is what an administrator relies on: the port first
 * (a server that cannot listen changes nothing), then the data-root lock,
 * and only then the log (a second server refused by the lock never writes
 * into the first one's log). Every known start-up failure is an `AppError`
 * with one line that names the setting and the reason.
 *
 * Resolves once the app answers, before the start-up pass over the data root
 * (ADR 0019): health says `starting` and each domain's imports answer 503
 * `STARTING` until that domain's pass is done; `started` says when all are.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;

  const { server, handOver } = options.heldPort ?? (await listenFirst(config, { headersTimeoutMs: options.headersTimeoutMs }));
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step();
  };

  try {
    const layout = new Layout(config.dataRoot);
    const codes = config.domains.map((d) => d.code);
    const lock = await lockDataRoot(layout);
    cleanups.push(lock.release);
    const logging = options.logger
      ? { logger: options.logger, file: undefined }
      : createLogger({ logDir: config.logDir, level: config.logLevel, output: config.logOutput });
    const { logger } = logging;
    /** the domains whose pass ran to its end and read every import: what a clean stop may vouch for */
    const sweptDomains = new Set<string>();
    // the last step before the lock goes, after every other clean-up (they run last first): nothing changes the data root any more
    cleanups.push(async () => {
      const domains = [...sweptDomains];
      await markCleanStop(layout, clock.now(), domains).then(
        (withheld) =>
          withheld
            ? logger.info(LIFECYCLE, `the stop is not marked clean (${withheld}): the next start lists every pages folder`)
            : logger.info({ ...LIFECYCLE, domains }, "the stop is marked clean (.toa-clean-stop): the next start does not list these domains' pages folders"),
        (error: unknown) =>
          logger.warn({ ...LIFECYCLE, err: error }, `could not mark the stop as clean (${fileProblem(error)}): the next start lists every pages folder`),
      );
    });
    logger.info(
      {
        ...LIFECYCLE,
        timeZone: config.timeZone,
        dataRoot: config.dataRoot,
        config: config.source.file,
        environment: config.source.environment,
        logDir: config.logDir,
        domains: config.domains.map((d) => d.code),
      },
      `TOA server starting on ${describeProvenance(provenance(config))}; dates and retention use the time zone ${config.timeZone}`,
    );
    if (lock.staleOwner) {
      logger.warn(
        { ...LIFECYCLE, staleOwner: lock.staleOwner, lockFile: layout.processLockFile() },
        'took over a stale data-root lock: its server is gone (a crash or kill -9)',
      );
    }
    if (lock.cleanDomains.size > 0)
      logger.info({ ...LIFECYCLE, domains: [...lock.cleanDomains] }, "the last stop was clean: the start-up pass does not list these domains' pages folders");
    if (lock.removedGuards) {
      logger.warn(
        { ...LIFECYCLE, removed: lock.removedGuards },
        'removed takeover guards of the data-root lock that a crash during an earlier takeover left behind',
      );
    }
    const readiness = new Readiness(config, { clock, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.env ? { env: options.env } : {}) });
    const problems = await readiness.startupProblems();
    for (const problem of problems) logger[config.production ? 'fatal' : 'warn']({ ...LIFECYCLE, problem }, `start-up check: ${problem}`);
    if (problems.length > 0 && config.production) throw new StartupError(problems);

    // every node of a cluster answers the directory (GET /api/domains) for every domain, with its catalogue's state
    const everyDomain = config.cluster?.domains ?? config.domains;
    const templates = templateRegistryOf({ domains: everyDomain }, layout, {
      logger,
      clock,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    await templates.start();
    cleanups.push(() => templates.stop());
    // health says degraded, and the log file why; an administrator watching the start reads it here
    for (const { code } of config.domains) {
      const catalogue = templates.state(code);
      if (!catalogue.available)
        logger.warn(
          { ...LIFECYCLE, domain: code },
          `start-up check: domain "${code}" has no template catalogue (${templates.source(code)}): ${catalogue.reason}; it cannot file until one loads`,
        );
    }

    const metrics = new ServerMetrics({
      scrapers: config.metrics,
      env: options.env ?? process.env,
      version: VERSION,
      node: config.cluster?.self.name ?? 'single',
    });
    const callLog = new ArchiveCallLog(config.logDir, logger, (entry) => metrics.archiveCall(entry));
    cleanups.push(() => callLog.close());
    const archiveOf = (d: DomainConfig): ArchiveClient =>
      createArchiveClient(d.code, d.archive, { callLog, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.env ? { env: options.env } : {}) });
    const archives = new Map<string, ArchiveClient>(config.domains.map((d) => [d.code, archiveOf(d)]));
    const sweepStaging = async (code: string): Promise<void> => {
      const removed = (await archives.get(code)?.sweepStaging?.()) ?? [];
      if (removed.length > 0) logger.warn({ domain: code, removed }, 'stale archive staging folders removed');
    };
    for (const code of archives.keys()) await sweepStaging(code);

    configureMailWorkers({
      workers: config.limits.parseWorkers,
      timeoutMs: config.limits.parseTimeoutSeconds * 1000,
      maxOldGenerationSizeMb: config.limits.parseMemoryMb,
      maxQueued: config.limits.parseQueueLength,
      maxQueuedPerOwner: config.limits.parseQueuePerUser,
      maxWaitMs: config.limits.parseWaitSeconds * 1000,
    });
    // clean-ups run last first: this one after `imports.close` (pushed below), so no upload in flight is cut off
    cleanups.push(() => closeMailWorkers());

    const core = composeStorage(config, { clock, logger, layout });
    const { storages, time } = core;
    const gate = new StartupGate(codes);
    const audit = new AuditLog(config.logDir);
    // clean-ups run last first: the audit files close after `imports.close` (pushed below) and the last line it caused
    cleanups.push(() => audit.close());
    const quotaLimits = new Map(config.domains.map((d) => [d.code, domainQuota(config.limits.quota, d)]));
    const quotas = new Quotas(storages, quotaLimits);
    const sharedSuggestions = new Set(config.domains.filter((d) => d.suggestions?.shared).map((d) => d.code));
    const imports = new ImportService({
      storages,
      archives,
      templates,
      audit,
      limits: config.limits,
      quotas,
      clock,
      time,
      logger,
      sharedSuggestions,
      gate,
      ...(options.submitWaitMs === undefined ? {} : { submitWaitMs: options.submitWaitMs }),
    });
    cleanups.push(() => imports.close());
    // a cluster node: domains being moved away are read-only from the first request on (docs/scaling.md)
    const drains = config.cluster ? new DomainDrains({ layout, domains: codes, settled: () => imports.drain(), logger }) : undefined;
    if (drains) {
      await drains.start();
      cleanups.push(() => drains.stop());
    }

    const retention = retentionOf(core, config, { audit, logger, isOpen: (domain) => gate.isOpen(domain) });

    const clusterMap = config.cluster ? new ClusterMap(config.cluster) : undefined;
    // what health reports on: the domains stored and served here now, which a cluster node's SIGHUP changes
    const servedDomains = (): DomainConfig[] => (clusterMap?.current.domains ?? config.domains).filter((domain) => storages.has(domain.code));

    const freeSpace = new FreeSpace(layout.root, config.limits.freeSpaceReserveMb);
    const diskWarning = await freeSpace.reading().then(reserveWarning, () => undefined);
    if (diskWarning) logger.warn(LIFECYCLE, `start-up check: ${diskWarning}`);
    // the disk is looked at when a caller finds the last look over a second old, and never on the caller's time
    const diskChecks = new Sampled(async () => {
      const [dataRoot, archives] = await Promise.all([dataRootCheck(layout.root, freeSpace), readiness.archives(servedDomains())]);
      return { dataRoot, archives };
    }, HEALTH_DISK_MAX_AGE_MS);
    // what the status depends on, read from memory: the last disk look, the key set's last fetch, the start-up gate, the log file
    const statusOf = (disk: DiskChecks, identity: ReadinessCheck | undefined): Health['status'] => {
      const ready =
        disk.dataRoot.detail === undefined &&
        servedDomains().every((domain) => templates.status(domain.code).available) &&
        Object.values(disk.archives).every((a) => a.ok) &&
        (identity === undefined || identity.ok);
      // a log file that refuses lines (disk full) is failing: the server keeps answering, but loses its record of what it does
      const log = logging.file?.state();
      return !disk.dataRoot.writable || (log && !log.writable) || gate.failure ? 'failing' : gate.starting ? 'starting' : ready ? 'ok' : 'degraded';
    };
    const health = async (): Promise<Health> => {
      const [disk, identity] = await Promise.all([diskChecks.latest(), readiness.identity()]);
      const catalogues = Object.fromEntries(servedDomains().map((domain) => [domain.code, templates.status(domain.code)]));
      const recovery = recoveryCheck(gate);
      const log = logging.file?.state();
      return {
        status: statusOf(disk, identity),
        version: VERSION,
        timeZone: config.timeZone,
        checks: {
          dataRoot: disk.dataRoot,
          catalogues,
          archives: disk.archives,
          ...(identity ? { identity } : {}),
          ...(log ? { logFile: log } : {}),
          ...(recovery ? { recovery } : {}),
        },
      };
    };
    const healthStatus = (): Health['status'] | undefined => {
      const disk = diskChecks.settled();
      const identity = readiness.identitySettled();
      return disk === undefined || identity === 'pending' ? undefined : statusOf(disk, identity);
    };

    metrics.readFrom({ health, storages, ...(clusterMap ? { owns: (domain: string) => clusterMap.ownsHere(domain) } : {}) });
    const context: AppContext = {
      config,
      logger,
      domains: new DomainDirectory(everyDomain, (code) => templates.state(code).available),
      imports,
      templates,
      audit,
      freeSpace,
      health,
      healthStatus,
      ...(drains ? { drains } : {}),
      ...(clusterMap ? { clusterMap } : {}),
      metrics,
    };
    handOver(createApp(context));
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    logger.info({ ...LIFECYCLE, url }, `TOA server answering on ${url}; health says "starting" until the start-up pass over the data root is done`);

    // one pass per domain, all at once: the sweep and the listing index from the same reads; a domain opens when its own is done
    const stopPass = new AbortController();
    const openDomain = async (storage: DomainStorage, sweep: SweepReport, listPages: boolean): Promise<void> => {
      await storage.recover(sweep, { signal: stopPass.signal, listPages });
      // an import it would not read kept whatever is in its pages folders: its domain is swept whole next time
      for (const domain of sweptWhole([storage.domain], sweep)) sweptDomains.add(domain);
      await imports.resumePending(sweep.pending.filter((p) => p.domain === storage.domain));
      gate.open(storage.domain);
    };
    const startUp = async (): Promise<SweepReport> => {
      const sweep = emptySweepReport();
      // after a clean stop the pages folders hold nothing to sweep (ADR 0025): the pass reads the import folders and their import.json only
      const passes = await Promise.allSettled([...storages.values()].map((storage) => openDomain(storage, sweep, !lock.cleanDomains.has(storage.domain))));
      logSweep(sweep, logger);
      const failed = passes.find((pass) => pass.status === 'rejected');
      // stopped by close(): not a failure of the data root
      if (failed && stopPass.signal.aborted) throw failed.reason;
      if (failed) {
        gate.fail(fileProblem(failed.reason));
        logger.fatal(
          { ...LIFECYCLE, err: failed.reason, domains: gate.closed() },
          `the start-up pass over the data root failed: ${fileProblem(failed.reason)}`,
        );
        throw failed.reason;
      }
      logger.info({ ...LIFECYCLE, url }, `TOA server listening on ${url}`);
      if (config.retentionDays === 0) {
        logger.info('retention is disabled (dataRetention "0d"): date folders are kept until removed by hand');
      } else {
        const sweepExpired = (): Promise<unknown> => retention().catch((error: unknown) => logger.error({ err: error }, 'retention sweep failed'));
        const timer = setInterval(sweepExpired, DAY_MS);
        timer.unref();
        cleanups.push(() => clearInterval(timer));
        await sweepExpired();
      }
      return sweep;
    };
    const started = startUp();
    started.catch(() => {}); // the caller is told through `started`; the process must not end on an unhandled rejection

    // a domain placed on this node while it runs: built as at a start (under this process's data-root lock), then its pass in the background
    const arrivals = new Set<Promise<void>>();
    const arrive = (domain: DomainConfig, map: ClusterMap): void => {
      const { code } = domain;
      // synchronously, so no request sees it served before its gate is closed
      gate.close(code);
      // its folder may hold what another node left: vouched for only once its own pass is done
      sweptDomains.delete(code);
      const storage = core.open(code);
      storages.set(code, storage);
      archives.set(code, archiveOf(domain));
      quotaLimits.set(code, domainQuota(config.limits.quota, domain));
      if (domain.suggestions?.shared) sharedSuggestions.add(code);
      else sharedSuggestions.delete(code);
      drains?.watch(code);
      map.serve(code);
      const pass = (async () => {
        const sweep = emptySweepReport();
        try {
          await sweepStaging(code);
          // a domain that arrives may hold what another node left: swept whole
          await openDomain(storage, sweep, true);
          logSweep(sweep, logger);
          logger.info({ domain: code }, `${code} is served on this node from now on`);
        } catch (error) {
          logSweep(sweep, logger);
          if (stopPass.signal.aborted) return;
          gate.fail(fileProblem(error), [code]);
          // the next reload tries it again
          map.unserve(code);
          logger.error({ err: error, domain: code }, `the pass over ${code}, placed on this node, failed: ${fileProblem(error)}; it is not served here`);
        }
      })();
      arrivals.add(pass);
      void pass.finally(() => arrivals.delete(pass));
    };
    const reloadCluster = (read: () => ClusterPlacement | undefined): ClusterMapChange | undefined => {
      // a server shutting down opens nothing more
      if (!clusterMap || stopPass.signal.aborted) return undefined;
      const change = reloadClusterMap(clusterMap, read, logger);
      if (!change) return undefined;
      // what is moved away is answered 421 and no longer this node's to keep (retention, metrics)
      for (const code of change.released) storages.delete(code);
      for (const code of change.arrived) {
        const domain = clusterMap.current.domains.find((d) => d.code === code);
        if (domain) arrive(domain, clusterMap);
      }
      return change;
    };

    let closing: Promise<void> | undefined;
    return {
      url,
      server,
      context,
      started,
      retention,
      reloadCluster,
      close: () => {
        closing ??= (async () => {
          await closeServer(server);
          // the pass stops between imports; what it did is as safe as a kill there (the next start sweeps again)
          stopPass.abort(new AppError('UNAVAILABLE', 'the server is shutting down'));
          await started.catch(() => {});
          await Promise.all(arrivals);
          await cleanup();
          logger.info(LIFECYCLE, 'TOA server stopped');
          // the last lines reach the file or are dropped; each write ends by itself, even on a full disk
          await new Promise<void>((resolve) => (logging.file ? logging.file.flush(resolve) : resolve()));
        })();
        return closing;
      },
    };
  } catch (error) {
    await closeServer(server);
    await cleanup();
    throw error;
  }
}

/** Health's word on the start-up pass: absent once every domain is open. */
function recoveryCheck(gate: StartupGate): ReadinessCheck | undefined {
  if (gate.failure) return { ok: false, detail: `the start-up pass over the data root failed: ${gate.failure}; the server log says more` };
  if (gate.starting) return { ok: false, detail: `checking the imports of ${gate.closed().join(', ')} after the start` };
  return undefined;
}

/** Stops accepting connections and waits for the requests in flight. */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * How old health's look at the disk (data root writable and its free space,
 * filesystem archive roots writable) may be before a caller prompts the next:
 * a change shows in `/api/health` within this plus one look.
 */
const HEALTH_DISK_MAX_AGE_MS = 1_000;

type DataRootCheck = NonNullable<Health['checks']>['dataRoot'];
type DiskChecks = { dataRoot: DataRootCheck; archives: Record<string, ReadinessCheck> };

/** The data root's check for `/api/health`: writable, and above the free-space reserve. Never rejects. */
async function dataRootCheck(root: string, freeSpace: FreeSpace): Promise<DataRootCheck> {
  try {
    await access(root, constants.W_OK);
    const { freeBytes, reserveBytes, belowReserve } = await freeSpace.reading();
    const space = { freeBytes, reserveBytes };
    if (!belowReserve) return { writable: true, ...space };
    return {
      writable: true,
      detail: `${freeBytes} bytes free, below the reserve of ${reserveBytes} (limits.freeSpaceReserveMb): new content is refused with 507`,
      ...space,
    };
  } catch (error) {
    return { writable: false, detail: fileProblem(error) };
  }
}
