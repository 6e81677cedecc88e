import { Command, Option } from 'commander';
import pino from 'pino';
import { ConfigError, loadConfig } from './config/load-config.js';
import type { Config } from './config/schema.js';
import { isAppError, StartupError } from './errors.js';
import { LIFECYCLE } from './logging/logger.js';
import { listenFirst } from './http/listen-first.js';
import { onlyDomain } from './cli/only-domain.js';
import { type Output, printer } from './cli/output.js';
import { provenance } from './config/provenance.js';

// Each command's own modules (the server, the storage, the admin tools) are imported when it runs:
// loading all of them first would delay `serve`'s port by most of a second (ADR 0026).

const SHUTDOWN_DEADLINE_MS = 15_000;

function config(options: { config?: string }): Config {
  return loadConfig(options.config ? { file: options.config } : {});
}

async function serve(options: { config?: string }): Promise<void> {
  // SIGHUP's default action ends the process: one sent while the server starts (which loads every catalogue anyway) is ignored
  let reload = (): void => {};
  process.on('SIGHUP', () => reload());
  const loaded = config(options);
  const heldPort = await listenFirst(loaded);
  const { startServer } = await import('./server.js').catch((error: unknown) => {
    // a port left open would keep the process alive, answering `starting` for ever (close() also ends idle keep-alive connections)
    heldPort.server.close();
    throw error;
  });
  const running = await startServer(loaded, { heldPort });
  const { logger } = running.context;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ ...LIFECYCLE, signal }, 'shutting down: no new requests, waiting for requests and archive calls in flight');
    const deadline = setTimeout(() => {
      logger.error(LIFECYCLE, `shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`);
      running.server.closeAllConnections();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    running.close().then(
      () => logger.flush(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ ...LIFECYCLE, err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // `toa-server templates refresh` and `kill -HUP <pid>` (systemctl reload): reload every catalogue, and a cluster's map, without a restart
  reload = () => {
    if (stopping) return;
    logger.info({ signal: 'SIGHUP' }, 'reloading every template catalogue');
    running.context.templates.refreshAll().catch((error: unknown) => logger.error({ err: error }, 'reloading the template catalogues failed'));
    running.reloadCluster(() => config(options).cluster);
  };
  // a start-up pass that fails (logged with its reason) ends the process, as any failed start does: the supervisor restarts it
  await running.started.catch(() => {
    if (stopping) return;
    stopping = true;
    running.close().finally(() => logger.flush(() => process.exit(1)));
  });
}

const jsonOption = new Option('--json', 'print JSON for scripts');
const configOption = new Option('-c, --config <file>', 'configuration file (JSON); default: $TOA_CONFIG, else the embedded default');

const program = new Command()
  .name('toa-server')
  .description('TOA storage server and admin tools')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

program.command('serve').description('run the server').addOption(configOption).action(serve);

program
  .command('locate <id>')
  .description('print the folder of an import id')
  .addOption(configOption)
  .addOption(new Option('-d, --domain <code>', 'the domain (default: search every domain)'))
  .addOption(jsonOption)
  .action(async (id: string, options: { config?: string; domain?: string; json?: boolean }) => {
    const loaded = config(options);
    const { locate } = await import('./cli/locate.js');
    await locate(loaded, id, options.domain, printer(options, provenance(loaded)));
  });

program
  .command('retention')
  .description('delete date folders older than dataRetention, as the server does every 24 h')
  .addOption(configOption)
  .option('--dry-run', 'only list what would be deleted')
  .addOption(jsonOption)
  .action(async (options: { config?: string; dryRun?: boolean; json?: boolean }) => {
    const loaded = config(options);
    const { retentionCommand } = await import('./cli/retention.js');
    await retentionCommand(loaded, options.dryRun === true, printer(options, provenance(loaded)));
  });

program
  .command('fsck')
  .description('check every import: leftovers, unreadable import.json, missing or damaged pages, stale sidecars')
  .addOption(configOption)
  .option('--repair', 'remove leftovers and rebuild stale sidecars (the server must be stopped)')
  .addOption(new Option('-d, --domain <code>', 'check this domain only (a copy before a running server serves it)'))
  .addOption(jsonOption)
  .action(async (options: { config?: string; repair?: boolean; domain?: string; json?: boolean }) => {
    const loaded = config(options);
    const { fsck } = await import('./cli/fsck.js');
    process.exitCode = await fsck(onlyDomain(loaded, options.domain), options.repair === true, printer(options, provenance(loaded)));
  });

program
  .command('stats')
  .description('imports per domain, day and status, and bytes')
  .addOption(configOption)
  .addOption(jsonOption)
  .action(async (options: { config?: string; json?: boolean }) => {
    const loaded = config(options);
    const { stats } = await import('./cli/stats.js');
    await stats(loaded, printer(options, provenance(loaded)));
  });

const templates = program.command('templates').description('template catalogues');
for (const [name, description, download] of [
  ['check', 'load every catalogue (the URL ones from their cache) and report problems', false],
  ['refresh', 'download every URL catalogue now, update its cache, and have the running server reload every catalogue (SIGHUP)', true],
] as const) {
  templates
    .command(name)
    .description(description)
    .addOption(configOption)
    .addOption(jsonOption)
    .action(async (options: { config?: string; json?: boolean }) => {
      const loaded = config(options);
      const { templatesCheck } = await import('./cli/templates.js');
      process.exitCode = await templatesCheck(loaded, download, printer(options, provenance(loaded)));
    });
}

const cluster = program.command('cluster').description('several servers, each owning some domains (docs/scaling.md)');
cluster
  .command('nginx')
  .description('write the nginx site that sends each domain to its node and the rest to any node')
  .addOption(configOption)
  .option('-o, --output <file>', 'write the site to this file (replaced atomically) instead of stdout')
  .option('--listen <parameters>', 'nginx listen parameters', '443 ssl')
  .option('--server-name <names>', 'nginx server_name', '_')
  .option('--certificate <file>', 'TLS certificate (with ssl)')
  .option('--certificate-key <file>', 'TLS key (with ssl)')
  .action(async (options: { config?: string; output?: string; listen: string; serverName: string; certificate?: string; certificateKey?: string }) => {
    // the site is the same from every node, and nginx's host may be none of them: no TOA_NODE needed
    const loaded = loadConfig({ ...(options.config ? { file: options.config } : {}), wholeCluster: true });
    const { writeNginxSite } = await import('./cli/cluster.js');
    await writeNginxSite(loaded, options);
  });
cluster
  .command('drain <domain>')
  .description('make a domain read-only on this node (writes answer 503) and wait until nothing of it is under way, before copying its folder')
  .addOption(configOption)
  .option('--timeout <seconds>', 'longest wait for writes and archive calls under way', '120')
  .addOption(jsonOption)
  .action(async (domain: string, options: { config?: string; timeout: string; json?: boolean }) => {
    const loaded = config(options);
    const { drainDomain } = await import('./cli/cluster.js');
    process.exitCode = await drainDomain(loaded, domain, Number(options.timeout), printer(options, provenance(loaded)));
  });
cluster
  .command('undrain <domain>')
  .description('accept writes of a drained domain again (a move given up), or clear the drain of a domain moved away')
  .addOption(configOption)
  .addOption(jsonOption)
  .action(async (domain: string, options: { config?: string; json?: boolean }) => {
    const loaded = config(options);
    const { undrainDomain } = await import('./cli/cluster.js');
    await undrainDomain(loaded, domain, printer(options, provenance(loaded)));
  });

function report(error: unknown, out: Output): void {
  if (error instanceof ConfigError || error instanceof StartupError) out.error(error.message);
  else if (isAppError(error)) out.error(error.message);
  else out.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
}

program.parseAsync().catch((error: unknown) => {
  report(error, printer({}));
  pino({ level: 'silent' }).flush();
  process.exitCode = 1;
});
