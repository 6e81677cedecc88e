import pino from 'pino';
import type { Config } from '../config/schema.js';
import { Layout } from '../storage/layout.js';
import { TemplateRegistry } from '../templates/template-registry.js';
import type { Output } from './output.js';

/**
 * Loads every catalogue as the server would. `check` never downloads (URL
 * domains are read from their cache); `refresh` downloads and updates the cache.
 */
export async function templatesCheck(config: Config, download: boolean, out: Output): Promise<number> {
  const noDownload: typeof fetch = () => Promise.reject(new Error('check reads the cached copy only; use "templates refresh" to download'));
  const registry = new TemplateRegistry({
    domains: config.domains,
    dataRoot: new Layout(config.dataRoot).root,
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
  out.result(rows, () =>
    rows.map((r) => ('reason' in r ? `${r.domain}: NO CATALOGUE: ${r.reason}` : `${r.domain}: ok (${r.source}) templates: ${r.templates?.join(', ')}`)),
  );
  return rows.every((r) => r.available) ? 0 : 1;
}
