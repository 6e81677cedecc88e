import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import { type Import, importSchema } from '@toa/api/imports';
import { catalogueXml, SPEC_INVOICE_TEMPLATE } from '@toa/fixtures/catalogue';
import { listening, TEST_DOMAIN, testConfig, writeTestSite } from '@toa/fixtures/site';
import { serverBin, taskpaneDir } from './paths';

/** SPEC §13.2's invoice template (the shared fixture), plus a simple one for extracted attachments. */
export const CATALOGUE = catalogueXml(
  SPEC_INVOICE_TEMPLATE,
  `  <template id="scan" name="Scanned document">
    <attribute id="title" label="Title" type="text" required="true"/>
  </template>
`,
);

export const DOMAIN = TEST_DOMAIN.code;

export type ArchiveSetting = { type: 'filesystem'; root: string } | { type: 'http'; url: string; retries?: number };

/** The server's `auth` block (docs/security.md): dev headers by default, or Entra-style bearer tokens. */
export type AuthSetting = { mode: 'dev' } | { mode: 'jwt'; jwksUrl: string; issuer: string; audience: string | string[]; tenants: string[]; admins?: string[] };

export interface StoredImport {
  /** the import's folder under the data root */
  dir: string;
  /** its import.json */
  record: Import;
}

export interface ToaServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** the filesystem archive's root (unused with an http archive) */
  archiveRoot: string;
  /** every import on disk, whatever the API would show */
  importsOnDisk(): Promise<StoredImport[]>;
  /** SIGTERM, then the temporary folder is removed */
  stop(): Promise<void>;
}

/**
 * Runs the real `toa-server serve` as a child process on a loopback port
 * chosen by the system, with a fresh data root, serving the built pane.
 */
export async function startToaServer(
  options: { archive?: ArchiveSetting; auth?: AuthSetting; limits?: { attributeLength?: number; uploadsPerUser?: number } } = {},
): Promise<ToaServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-e2e-'));
  const dataRoot = path.join(dir, 'data');
  const archiveRoot = path.join(dir, 'archive');
  const config = testConfig({
    dataRoot,
    logDir: path.join(dir, 'logs'),
    auth: options.auth ?? { mode: 'dev' },
    ...(options.limits ? { limits: options.limits } : {}),
    taskpaneDir,
    domains: [{ ...TEST_DOMAIN, archive: options.archive ?? { type: 'filesystem', root: archiveRoot } }],
  });
  const configFile = await writeTestSite(dir, { config, catalogue: CATALOGUE });

  const child = spawn(process.execPath, [serverBin, 'serve', '--config', configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await listeningUrlOrCleanUp(child, dir);

  return {
    url,
    archiveRoot,
    importsOnDisk: () => importsUnder(path.join(dataRoot, DOMAIN)),
    stop: () => stopServer(child, dir),
  };
}

export interface EmbeddedDefaultServer {
  url: string;
  /** the working directory it runs in: ./data, ./logs and ./archive are here */
  dir: string;
  stop(): Promise<void>;
}

/**
 * Runs `toa-server serve` as `npm start` does, on the embedded default (no
 * configuration file: the sample domain, dev identity, the pane and the
 * browser preview), in a fresh working directory on a system-chosen port.
 */
export async function startEmbeddedDefault(): Promise<EmbeddedDefaultServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'toa-default-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TOA_PORT: '0', TOA_TIME_ZONE: 'Europe/Prague' };
  delete env.TOA_CONFIG;
  const child = spawn(process.execPath, [serverBin, 'serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await listeningUrlOrCleanUp(child, dir);
  return {
    url,
    dir,
    stop: () => stopServer(child, dir),
  };
}

/** The `import.json` of every `<domain>/<yyyy-MM-dd>/<HHmm-xxxxxxxx>` folder; none before the first import. */
export async function importsUnder(domainDir: string): Promise<StoredImport[]> {
  const found: StoredImport[] = [];
  const dateFolders = await readdir(domainDir, { withFileTypes: true }).catch(() => []);
  for (const date of dateFolders.filter((entry) => entry.isDirectory() && DATE_FOLDER_PATTERN.test(entry.name))) {
    for (const folder of await readdir(path.join(domainDir, date.name))) {
      const dir = path.join(domainDir, date.name, folder);
      found.push({ dir, record: importSchema.parse(JSON.parse(await readFile(path.join(dir, 'import.json'), 'utf8'))) });
    }
  }
  return found.sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
}

/** SIGTERM, then the temporary folder is removed. */
async function stopServer(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

/** The listening URL; a server that never listens is killed and its folder removed. */
async function listeningUrlOrCleanUp(child: ChildProcess, dir: string): Promise<string> {
  try {
    return (await listening(child)).url;
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
