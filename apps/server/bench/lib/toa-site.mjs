import { openAsBlob } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_IDENTITY_HEADERS, PAGE_UPLOAD_FIELD, paths } from '@toa/api/routes';
import { testConfig } from '@toa/fixtures/site';
import { CLEAN_STOP_FILE } from '../../dist/storage/layout.js';
import { startChildServer } from './child-server.mjs';

const serverPackage = fileURLToPath(new URL('../../', import.meta.url));
const catalogue = path.join(serverPackage, 'samples', 'catalogue.xml');

export const DOMAIN = 'bench';
export const BENCH_USER = 'bench@bench.example';

/**
 * A configuration and empty data root in `dir` for `toa-server serve`: one
 * domain with the sample catalogue and a filesystem archive. Logging stays
 * at "info" as in production (every request is logged); the rate limit is
 * lifted, since the bench is one user sending hundreds of requests a minute.
 */
export async function createSite(dir, { pageSizeMb = 100, overrides = {} } = {}) {
  await mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'toa.json');
  const config = testConfig({
    limits: { pageSizeMb, requestsPerMinute: 1_000_000 },
    domains: [{ code: DOMAIN, name: 'Bench', templates: { file: catalogue }, archive: { type: 'filesystem', root: './archive' } }],
    ...overrides,
  });
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return { dir, configFile, domainDir: path.join(dir, 'data', DOMAIN) };
}

/**
 * Makes `site`'s data root look as a crash leaves it: without the mark of a
 * clean stop (ADR 0025), so the next start's pass lists every pages folder.
 */
export function forgetCleanStop(site) {
  return rm(path.join(path.dirname(site.domainDir), CLEAN_STOP_FILE), { force: true });
}

/** The built server (dist), started by its CLI as an operator would; `nodeArgs` such as `--max-old-space-size=1024` go to node. */
export function startToaServer(site, nodeArgs = []) {
  return startChildServer([...nodeArgs, ...serveArgs(site)]);
}

/** The command line that starts the built server of the package in `packageDir` (this one by default) on `site`. */
export function serveArgs(site, packageDir = serverPackage) {
  return [path.join(packageDir, 'bin', 'toa-server.js'), 'serve', '--config', site.configFile];
}

/** The few API calls the benches make, as the bench user (or `user`, an e-mail address). */
export class ApiClient {
  constructor(url, user = BENCH_USER) {
    this.url = url;
    this.user = user;
  }

  /** The raw answer, whatever its status. */
  send(pathname, init = {}) {
    const headers = new Headers(init.headers);
    headers.set(DEV_IDENTITY_HEADERS.email, this.user);
    headers.set(DEV_IDENTITY_HEADERS.name, 'Bench User');
    return fetch(`${this.url}${pathname}`, { ...init, headers });
  }

  async call(pathname, init = {}, expected = 200) {
    const response = await this.send(pathname, init);
    if (response.status !== expected) throw new Error(`${init.method ?? 'GET'} ${pathname} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  async createImport(source = {}) {
    const init = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ source }) };
    const created = await this.call(paths.imports(DOMAIN), init, 201);
    return created.id;
  }

  deleteImport(id) {
    return this.call(paths.import(DOMAIN, id), { method: 'DELETE' }, 204);
  }

  listImports() {
    return this.call(paths.imports(DOMAIN));
  }

  me() {
    return this.call(paths.me());
  }

  /** Adds `file` as a page of document 1; the body streams from the file, it is not read into memory first. */
  async uploadPage(id, file, contentType = 'application/octet-stream') {
    return this.call(paths.pages(DOMAIN, id, 1), { method: 'POST', body: await pageForm(file, contentType) }, 201);
  }

  /** `uploadPage` answering its status (201, or a refusal such as 429 or 503) instead of throwing on a refusal. */
  async tryUploadPage(id, file, contentType = 'application/octet-stream') {
    const response = await this.send(paths.pages(DOMAIN, id, 1), { method: 'POST', body: await pageForm(file, contentType) });
    await response.arrayBuffer();
    return response.status;
  }
}

async function pageForm(file, contentType) {
  const form = new FormData();
  form.append(PAGE_UPLOAD_FIELD, await openAsBlob(file, { type: contentType }), path.basename(file));
  return form;
}
