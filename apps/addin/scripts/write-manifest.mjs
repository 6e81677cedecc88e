#!/usr/bin/env node
// Writes the production manifest: every https://localhost:3000 URL of the
// repository's manifest.xml replaced by the administrator's HTTPS origin and,
// for the server's `jwt` mode, the <WebApplicationInfo> that Office single
// sign-on needs (docs/security.md).
//
//   node scripts/write-manifest.mjs --url https://toa.example.org [--in ../../manifest.xml] [--out dist/manifest.xml]
//     [--app-id <application (client) id> --resource api://toa.example.org/<application id>]
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

function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      in: { type: 'string', default: resolve(here, '../../../manifest.xml') },
      out: { type: 'string', default: resolve(here, '../dist/manifest.xml') },
      'app-id': { type: 'string' },
      resource: { type: 'string' },
    },
  });
  if (!values.url) {
    throw new Error(
      'usage: write-manifest.mjs --url https://toa.example.org [--in manifest.xml] [--out dist/manifest.xml] [--app-id <GUID> --resource api://toa.example.org/<GUID>]',
    );
  }
  const target = parseTargetUrl(values.url);
  const sso = parseSsoOptions(values['app-id'], values.resource, target);
  const rewritten = rewriteManifest(readFileSync(values.in, 'utf8'), target);
  const xml = sso ? addWebApplicationInfo(rewritten, sso) : rewritten;
  mkdirSync(dirname(resolve(values.out)), { recursive: true });
  writeFileSync(values.out, xml);
  console.log(`wrote ${values.out} for ${values.url}${sso ? ` with single sign-on for ${sso.resource}` : ''}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`write-manifest: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
