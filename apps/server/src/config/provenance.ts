import type { Config } from './schema.js';

/** What a command or the server read: its data root and its configuration (file, or the embedded default, and environment overrides). */
export interface Provenance {
  dataRoot: string;
  config: string;
  environment: string[];
}

export function provenance(config: Config): Provenance {
  return { dataRoot: config.dataRoot, config: config.source.file, environment: config.source.environment };
}

/** "data root /srv/toa/data; configuration /etc/toa/toa.json, with TOA_DATA_ROOT" */
export function describeProvenance(read: Provenance): string {
  const overrides = read.environment.length > 0 ? `, with ${read.environment.join(', ')}` : '';
  return `data root ${read.dataRoot}; configuration ${read.config}${overrides}`;
}
