import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Host } from './host.js';

/** A domain on the sample catalogue the release ships, with its filesystem archive under `<host>/var/lib/toa/archive/<code>`. */
export function sampleDomain(host: Host, code = 'sample', catalogue = path.join(host.release, 'samples', 'catalogue.xml')): Record<string, unknown> {
  return {
    code,
    name: code,
    templates: { file: catalogue },
    archive: { type: 'filesystem', root: path.join(host.root, 'var', 'lib', 'toa', 'archive', code) },
  };
}

/**
 * Writes `<host>/etc/toa/<name>` for a dev-identity server on a free loopback
 * port, with its data, logs and filesystem archive under `<host>/var`, and the
 * sample catalogue the release ships. `overrides` replace top-level keys.
 */
export async function writeConfig(host: Host, name: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const file = path.join(host.root, 'etc', 'toa', name);
  await mkdir(path.dirname(file), { recursive: true });
  const config = {
    host: '127.0.0.1',
    port: 0,
    timeZone: 'Europe/Prague',
    dataRoot: path.join(host.root, 'var', 'lib', 'toa', 'data'),
    logDir: path.join(host.root, 'var', 'log', 'toa'),
    domains: [sampleDomain(host)],
    ...overrides,
  };
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}
