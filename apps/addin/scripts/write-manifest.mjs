#!/usr/bin/env node
// Writes the production manifest: every https://localhost:3000 URL of the
// repository's manifest.xml replaced by the administrator's HTTPS origin.
//
//   node scripts/write-manifest.mjs --url https://toa.example.org [--in ../../manifest.xml] [--out dist/manifest.xml]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEV_ORIGIN = 'https://localhost:3000';
const here = dirname(fileURLToPath(import.meta.url));

/** The origin (scheme, host, port, optional path prefix) the add-in will be served from; HTTPS only. */
export function parseTargetUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--url must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:') throw new Error(`--url must use https (Outlook loads add-ins over HTTPS only), got "${value}"`);
  if (url.search || url.hash || url.username || url.password) throw new Error('--url must not have a query, fragment or credentials');
  // A path prefix is allowed (a reverse proxy may mount TOA under /toa); no trailing slash.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function rewriteManifest(xml, target) {
  if (!xml.includes(DEV_ORIGIN)) throw new Error(`the manifest has no ${DEV_ORIGIN} URL to replace`);
  const escaped = target.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  // AppDomain takes an origin, not a path.
  const origin = new URL(target).origin;
  return xml.replace(/<AppDomain>https:\/\/localhost:3000<\/AppDomain>/g, `<AppDomain>${origin}</AppDomain>`).replaceAll(DEV_ORIGIN, escaped);
}

function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      in: { type: 'string', default: resolve(here, '../../../manifest.xml') },
      out: { type: 'string', default: resolve(here, '../dist/manifest.xml') },
    },
  });
  if (!values.url) throw new Error('usage: write-manifest.mjs --url https://toa.example.org [--in manifest.xml] [--out dist/manifest.xml]');
  const xml = rewriteManifest(readFileSync(values.in, 'utf8'), parseTargetUrl(values.url));
  mkdirSync(dirname(resolve(values.out)), { recursive: true });
  writeFileSync(values.out, xml);
  console.log(`wrote ${values.out} for ${values.url}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`write-manifest: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
