#!/usr/bin/env node
// Validates an add-in-only manifest (XML) offline: against Microsoft's
// published XSD schemas (manifest-schemas/, sources in its README) and against
// what TOA itself needs of a manifest. `--online` also runs Microsoft's online
// validation service (office-addin-manifest), where a network is available.
//
//   npm run validate [-- FILE] [--online]     FILE relative to where npm was started; default: the repository's manifest.xml
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateXML } from 'xmllint-wasm';

const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = resolve(here, '../manifest-schemas');
export const DEFAULT_MANIFEST = resolve(here, '../../../manifest.xml');
const ROOT_SCHEMA = 'OfficeAppManifestV1_1.xsd';
const ADDIN_PAGE = '/taskpane.html';

function schemaFiles() {
  return readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.xsd'))
    .map((name) => ({ fileName: name, contents: readFileSync(join(SCHEMA_DIR, name), 'utf8') }));
}

/**
 * libxml2 (xmllint, as WebAssembly) against the schemas: every problem as
 * `line N: message`. The manifest is checked as it is, no network is used.
 */
export async function schemaProblems(xml) {
  const files = schemaFiles();
  const result = await validateXML({
    xml: [{ fileName: 'manifest.xml', contents: xml }],
    schema: files.filter((f) => f.fileName === ROOT_SCHEMA),
    preload: files.filter((f) => f.fileName !== ROOT_SCHEMA),
  });
  return result.errors.map((error) => {
    const message = error.message.replace(/^.*?Schemas validity error : /, '').trim();
    return error.loc ? `line ${error.loc.lineNumber}: ${message}` : message;
  });
}

const attributes = (xml, name) => [...xml.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

/**
 * What TOA needs beyond the schema (Office checks these only when a user
 * opens the add-in): a mail add-in with read/write mailbox access, every URL
 * HTTPS on an origin listed in AppDomains, the task pane at /taskpane.html,
 * every resid defined, and single sign-on for the add-in's own host.
 */
export function projectProblems(xml) {
  const problems = [];
  const root = /<OfficeApp\b[^>]*>/.exec(xml)?.[0] ?? '';
  if (!/xsi:type="MailApp"/.test(root)) problems.push('OfficeApp: must be a MailApp (an Outlook add-in)');
  const permissions = /<Permissions>([^<]*)<\/Permissions>/.exec(xml)?.[1];
  if (permissions !== 'ReadWriteMailbox')
    problems.push(
      `Permissions: must be ReadWriteMailbox (the pane files several selected messages and marks them; Office needs it for getSelectedItemsAsync and loadItemByIdAsync), not "${permissions ?? 'missing'}"`,
    );

  const domains = [...xml.matchAll(/<AppDomain>([^<]*)<\/AppDomain>/g)].map((m) => m[1].trim());
  const origins = new Set();
  for (const domain of domains) {
    try {
      const url = new URL(domain);
      if (url.protocol !== 'https:') problems.push(`AppDomain ${domain}: must be https`);
      origins.add(url.origin);
    } catch {
      problems.push(`AppDomain ${domain}: is not a URL`);
    }
  }
  const urls = attributes(xml, 'DefaultValue').filter((value) => /^[a-z]+:\/\//i.test(value));
  for (const value of urls) {
    const url = new URL(value);
    if (url.protocol !== 'https:') problems.push(`${value}: must be https (Outlook loads add-ins over HTTPS only)`);
    else if (!origins.has(url.origin)) problems.push(`${value}: its origin is not listed in AppDomains`);
  }
  const sources = [...xml.matchAll(/<SourceLocation\s+DefaultValue="([^"]*)"/g)].map((m) => m[1]);
  const taskpaneUrls = [...xml.matchAll(/<bt:Url\s+id="([^"]*)"\s+DefaultValue="([^"]*)"/g)];
  for (const source of sources) if (!source.endsWith(ADDIN_PAGE)) problems.push(`SourceLocation ${source}: must point at ${ADDIN_PAGE}`);

  const ids = new Set(attributes(xml, 'id'));
  for (const resid of new Set(attributes(xml, 'resid'))) if (!ids.has(resid)) problems.push(`resid "${resid}": no resource has this id`);
  const paneIds = new Set([...xml.matchAll(/<SourceLocation\s+resid="([^"]*)"/g)].map((m) => m[1]));
  for (const [, id, url] of taskpaneUrls) if (paneIds.has(id) && !url.endsWith(ADDIN_PAGE)) problems.push(`bt:Url ${id} ${url}: must point at ${ADDIN_PAGE}`);

  const resource = /<WebApplicationInfo>[\s\S]*?<Resource>([^<]*)<\/Resource>/.exec(xml)?.[1];
  if (resource !== undefined) {
    const hosts = new Set([...origins].map((origin) => new URL(origin).hostname.toLowerCase()));
    let host;
    try {
      host = new URL(resource).hostname.toLowerCase();
    } catch {
      host = undefined;
    }
    if (!host || !hosts.has(host))
      problems.push(`WebApplicationInfo Resource ${resource}: must name the add-in's host (Office refuses single sign-on otherwise, error 13004)`);
  }
  return problems;
}

/** Both checks; an empty list means the manifest is fine to upload. */
export async function validateManifest(xml) {
  return [...(await schemaProblems(xml)).map((p) => `schema: ${p}`), ...projectProblems(xml).map((p) => `TOA: ${p}`)];
}

/** Where the administrator started npm (npm sets INIT_CWD); a path they type is relative to that. */
export function callerDir(env = process.env) {
  return env.INIT_CWD || process.cwd();
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { online: { type: 'boolean', default: false } } });
  if (positionals.length > 1) throw new Error('usage: validate-manifest.mjs [FILE] [--online]');
  const file = positionals[0] === undefined ? DEFAULT_MANIFEST : resolve(callerDir(), positionals[0]);
  let xml;
  try {
    xml = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot be read (${error.code ?? error.message})`);
  }
  const problems = await validateManifest(xml);
  for (const problem of problems) console.error(`${file}: ${problem}`);
  if (problems.length > 0) {
    console.error(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    process.exit(1);
  }
  console.log(`${file}: valid (Microsoft's manifest schemas and TOA's checks, offline)`);
  if (values.online) {
    // Microsoft's service also checks store policies; it needs the internet.
    execFileSync(process.execPath, [join(dirname(fileURLToPath(import.meta.resolve('office-addin-manifest/package.json'))), 'cli.js'), 'validate', file], {
      stdio: 'inherit',
    });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`validate-manifest: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
