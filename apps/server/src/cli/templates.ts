import pino from 'pino';
import { composeStorage, templateRegistryOf } from '../composition.js';
import type { Config } from '../config/schema.js';
import { signalLockOwner } from '../fs/process-lock.js';
import type { Layout } from '../storage/layout.js';
import type { Output } from './output.js';

/**
 * Loads every catalogue as the server would. `check` never downloads (URL
 * domains are read from their cache); `refresh` downloads and updates the cache.
 */
export async function templatesCheck(config: Config, download: boolean, out: Output): Promise<number> {
  const noDownload: typeof fetch = () => Promise.reject(new Error('check reads the cached copy only; use "templates refresh" to download'));
  const { layout } = composeStorage(config);
  const registry = templateRegistryOf(config, layout, {
    logger: pino({ level: 'silent' }),
    ...(download ? {} : { fetch: noDownload }),
  });
  await registry.start();
  registry.stop();
  const rows = config.domains.map((d) => {
    const state = registry.state(d.code);
    return state.available
      ? { domain: d.code, available: true, source: state.source, templates: state.catalogue.templates.map((t) => t.id) }
      : { domain: d.code, available: false, reason: state.reason };
  });
  out.result({ catalogues: rows }, () =>
    rows.map((r) =>
      'reason' in r
        ? `${r.domain}: CANNOT LOAD: ${r.reason}${download ? ' (a running server keeps the last catalogue it loaded)' : ''}`
        : `${r.domain}: ok (${r.source}) templates: ${r.templates?.join(', ')}`,
    ),
  );
  if (download) out.error(await reloadRunningServer(layout));
  return rows.every((r) => r.available) ? 0 : 1;
}

/** Asks the server running on this data root to reload its catalogues, and says plainly whether that happened. */
async function reloadRunningServer(layout: Layout): Promise<string> {
  const signalled = await signalLockOwner(layout.processLockFile(), 'SIGHUP');
  if (signalled.sent)
    return `the running server (pid ${signalled.owner.pid}) was asked to reload every catalogue (SIGHUP); GET /api/health shows administrators what it uses`;
  const route = 'POST /api/admin/<domain>/templates/refresh';
  switch (signalled.reason) {
    case 'none':
      return 'no server is running on this data root: only the cache was written; the next start uses it';
    case 'other-host':
      return `only the cache was written: the server using this data root runs on ${signalled.owner?.host}; reload it there with "kill -HUP ${signalled.owner?.pid}" or ${route}`;
    case 'not-permitted':
      return `only the cache was written: the running server (pid ${signalled.owner?.pid}) belongs to another user; reload it with "kill -HUP ${signalled.owner?.pid}" as that user or ${route}`;
  }
}
