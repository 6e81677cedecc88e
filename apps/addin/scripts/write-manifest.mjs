#!/usr/bin/env node
// Writes the production manifest: every https://localhost:3000 URL of the
// repository's manifest.xml replaced by the administrator's HTTPS origin, the
// header comment rewritten for that copy, optionally a new <Version> and, for
// the server's `jwt` mode, the <WebApplicationInfo> that Office single sign-on
// needs (docs/security.md). The result is validated (validate-manifest.mjs)
// before it is written, and never into a folder the server publishes.
//
//   npm run manifest -- --url https://toa.example.org [--out toa-manifest.xml] [--version 1.0.1.0] [--in manifest.xml]
//     [--app-id <application (client) id> --resource api://toa.example.org/<application id>]
//   Relative paths are taken from the folder npm was started in.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callerDir, DEFAULT_MANIFEST, validateManifest } from './validate-manifest.mjs';

export const DEV_ORIGIN = 'https://localhost:3000';
const here = dirname(fileURLToPath(import.meta.url));
const ADDIN_DIR = resolve(here, '..');
/** The built pane (the server publishes it) and what the build copies into it. */
const PUBLISHED_DIRS = [join(ADDIN_DIR, 'dist'), join(ADDIN_DIR, 'public')];
export const DEFAULT_OUT = 'toa-manifest.xml';

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

/** Applies `replace` to the text between XML comments, leaving the comments as they are. */
function outsideComments(xml, replace) {
  return xml
    .split(/(<!--[\s\S]*?-->)/)
    .map((part) => (part.startsWith('<!--') ? part : replace(part)))
    .join('');
}

/** The comment before <OfficeApp>, rewritten for the production copy (the repository's speaks of development URLs). */
function productionHeader(target) {
  return [
    '<!--',
    `  TOA Outlook add-in (read mode), served from ${target}.`,
    "  Written by `npm run manifest` from the repository's manifest.xml; upload it in",
    '  the Microsoft 365 admin center and raise <Version> with every change',
    '  (docs/deployment.md). Requirement sets are declared low; newer calls',
    '  (getAsFileAsync, Mailbox 1.14) are checked at run time by the task pane.',
    '-->',
  ].join('\n');
}

export function rewriteManifest(xml, target) {
  if (!xml.includes(DEV_ORIGIN)) throw new Error(`the manifest has no ${DEV_ORIGIN} URL to replace`);
  const escaped = target.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  // AppDomain takes an origin, not a path.
  const origin = new URL(target).origin;
  const header = /^(<\?xml[^>]*\?>\s*)<!--[\s\S]*?-->/;
  const rewritten = outsideComments(xml, (text) =>
    text.replace(/<AppDomain>https:\/\/localhost:3000<\/AppDomain>/g, `<AppDomain>${origin}</AppDomain>`).replaceAll(DEV_ORIGIN, escaped),
  );
  return header.test(rewritten) ? rewritten.replace(header, (_all, declaration) => `${declaration}${productionHeader(escaped)}`) : rewritten;
}

/** `1.2.3.4`: up to four numbers of up to five digits (the schema's Version type). */
export function setVersion(xml, version) {
  if (!/^\d{1,5}(\.\d{1,5}){0,3}$/.test(version)) throw new Error(`--version must look like 1.2.3.4 (up to four numbers), got "${version}"`);
  const element = /(<OfficeApp\b[\s\S]*?<Version>)[^<]*(<\/Version>)/;
  if (!element.test(xml)) throw new Error('the manifest has no <Version> element');
  return xml.replace(element, (_all, before, after) => `${before}${version}${after}`);
}

/**
 * Where the manifest goes: relative to the caller's folder, never into a folder
 * the server publishes (the built pane, which the next build also deletes, or
 * any folder served as a task pane) and never over the manifest it starts from.
 */
export function outputPath(out, { cwd, input }) {
  const file = resolve(cwd, out);
  const real = (path) => {
    let existing = path;
    while (!existsSync(existing)) existing = dirname(existing);
    return join(realpathSync(existing), relative(existing, path));
  };
  const target = real(file);
  const inside = (dir) => target === dir || target.startsWith(`${dir}${sep}`);
  const published = PUBLISHED_DIRS.map(real).find(inside);
  if (published) throw new Error(`${file} is inside ${published}, which the server publishes and the next build deletes; write it elsewhere (--out)`);
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'taskpane.html'))) throw new Error(`${file} is inside ${dir}, a published task-pane folder; write it elsewhere (--out)`);
    if (dirname(dir) === dir) break;
  }
  if (target === real(input)) throw new Error(`${file} is the manifest it starts from; write the production copy elsewhere (--out)`);
  return file;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const escapeXml = (value) => value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * The single sign-on settings from `--app-id` and `--resource`: both or neither
 * (undefined). The resource is the Application ID URI `api://<host>/<app id>`,
 * whose host must be the add-in's own (Office refuses SSO otherwise, error 13004).
 */
export function parseSsoOptions(appId, resource, target) {
  if (appId === undefined && resource === undefined) return undefined;
  if (appId === undefined || resource === undefined) throw new Error('--app-id and --resource go together');
  if (!GUID.test(appId)) throw new Error(`--app-id must be the application (client) id, a GUID, got "${appId}"`);
  let url;
  try {
    url = new URL(resource);
  } catch {
    throw new Error(`--resource must be an Application ID URI such as api://toa.example.org/${appId}, got "${resource}"`);
  }
  if (url.protocol !== 'api:' || !url.hostname || url.search || url.hash || url.username || url.password) {
    throw new Error(`--resource must be an Application ID URI such as api://toa.example.org/${appId}, got "${resource}"`);
  }
  if (!url.pathname.toLowerCase().endsWith(`/${appId.toLowerCase()}`))
    throw new Error(`--resource must end with the application id: api://${url.host}/${appId}`);
  const addinHost = new URL(target).hostname;
  if (url.hostname.toLowerCase() !== addinHost.toLowerCase()) {
    throw new Error(`--resource must name the add-in's host ${addinHost} (Office compares them), got "${url.hostname}"`);
  }
  return { appId: appId.toLowerCase(), resource };
}

/**
 * Adds <WebApplicationInfo> (application id, resource, scopes openid and profile)
 * as the last element of VersionOverrides 1.1, where Microsoft documents it for
 * Outlook add-ins that use Office single sign-on.
 */
export function addWebApplicationInfo(xml, sso) {
  if (xml.includes('<WebApplicationInfo')) throw new Error('the manifest already has a <WebApplicationInfo> element');
  const v11 = xml.indexOf('xsi:type="VersionOverridesV1_1"');
  const close = v11 < 0 ? -1 : xml.indexOf('</VersionOverrides>', v11);
  if (close < 0) throw new Error('the manifest has no VersionOverrides 1.1 to add <WebApplicationInfo> to');
  const lineStart = xml.lastIndexOf('\n', close) + 1;
  const indent = xml.slice(lineStart, close).match(/^[ \t]*/)?.[0] ?? '';
  const inner = `${indent}  `;
  const element = [
    `${inner}<WebApplicationInfo>`,
    `${inner}  <Id>${escapeXml(sso.appId)}</Id>`,
    `${inner}  <Resource>${escapeXml(sso.resource)}</Resource>`,
    `${inner}  <Scopes>`,
    `${inner}    <Scope>openid</Scope>`,
    `${inner}    <Scope>profile</Scope>`,
    `${inner}  </Scopes>`,
    `${inner}</WebApplicationInfo>`,
  ].join('\n');
  return `${xml.slice(0, lineStart)}${element}\n${xml.slice(lineStart)}`;
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string', default: DEFAULT_OUT },
      version: { type: 'string' },
      'app-id': { type: 'string' },
      resource: { type: 'string' },
    },
  });
  if (!values.url) {
    throw new Error(
      'usage: npm run manifest -- --url https://toa.example.org [--out toa-manifest.xml] [--version 1.0.1.0] [--in manifest.xml] [--app-id <GUID> --resource api://toa.example.org/<GUID>]',
    );
  }
  const cwd = callerDir();
  const input = values.in === undefined ? DEFAULT_MANIFEST : resolve(cwd, values.in);
  const out = outputPath(values.out, { cwd, input });
  const target = parseTargetUrl(values.url);
  const sso = parseSsoOptions(values['app-id'], values.resource, target);
  let xml = rewriteManifest(readFileSync(input, 'utf8'), target);
  if (values.version !== undefined) xml = setVersion(xml, values.version);
  if (sso) xml = addWebApplicationInfo(xml, sso);
  const problems = await validateManifest(xml);
  if (problems.length > 0) throw new Error(`the written manifest would not be valid, nothing written:\n  ${problems.join('\n  ')}`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, xml);
  console.log(`wrote ${out} for ${target}${sso ? ` with single sign-on for ${sso.resource}` : ''} (valid: Microsoft's schemas and TOA's checks)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`write-manifest: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
