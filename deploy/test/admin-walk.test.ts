import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reportedMessage } from '@toa/fixtures';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { sampleDomain, writeConfig } from './support/config.js';
import { type Host, installRelease, type RunningServer, runCommand, serve, serviceAccount } from './support/host.js';
import { type Issuer, startIssuer } from './support/identity.js';
import { type Nginx, startNginx } from './support/nginx.js';
import { type Certificate, selfSignedCertificate } from './support/tls.js';

/**
 * The administrator's walk (docs/deployment.md): a host install from the
 * release, a production configuration with Entra-style jwt identity, nginx
 * with the shipped site and TLS in front, a message filed end to end through
 * it, the admin CLI, start-up mistakes, and a clean stop — all with no npm on
 * PATH and no registry reached. As root (CI) the server and the CLI run as an
 * unprivileged account that owns only its state and log folders, as the unit's
 * `User=toa` with StateDirectory/LogsDirectory, and reads the root-owned release.
 */
let host: Host;
let certificate: Certificate;
let issuer: Issuer;
let server: RunningServer;
let nginx: Nginx;
let configFile: string;
/** the second domain's catalogue, a file the walk breaks and mends while the server runs */
let acmeCatalogue: string;
/** the import the walk files end to end */
let filedId: string;
const adminOid = randomUUID();
const varDir = (...parts: string[]): string => path.join(host.root, 'var', ...parts);

/** The unit's environment: NODE_ENV=production; the walk's CA is trusted for the key set (a real host trusts Microsoft's by default). */
const unitEnv = (): NodeJS.ProcessEnv => ({ NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: certificate.certFile });

/** Entra-style identity against the walk's issuer; the admin is `adminOid`. */
const jwtAuth = () => ({
  mode: 'jwt',
  jwksUrl: issuer.jwksUrl,
  issuer: issuer.issuer,
  audience: issuer.audience,
  tenants: [issuer.tenant],
  admins: [`${issuer.tenant}:${adminOid}`],
});

/** What systemd does for the unit: /var/lib/toa and /var/log/toa owned by the service account, mode 0750; the config root-owned, 0640. */
async function prepareServiceFolders(config: string): Promise<void> {
  for (const dir of [varDir('lib', 'toa'), varDir('log', 'toa')]) {
    await mkdir(path.dirname(dir), { recursive: true });
    await mkdir(dir, { mode: 0o750 });
    if (serviceAccount) await chown(dir, serviceAccount.uid, serviceAccount.gid);
  }
  await chmod(config, 0o640);
  if (serviceAccount) await chown(config, 0, serviceAccount.gid);
}

/** `toa-server <args>` as the service account, as `sudo -u toa /opt/toa/bin/toa-server …`. */
const asService = (args: string[], env: NodeJS.ProcessEnv = {}) => runCommand(host, args, env, serviceAccount);

beforeAll(async () => {
  host = await installRelease(inject('releaseTarball'));
  certificate = await selfSignedCertificate(host.root, 'toa.test');
  issuer = await startIssuer(certificate);
  acmeCatalogue = path.join(host.root, 'etc', 'toa', 'acme.xml');
  await mkdir(path.dirname(acmeCatalogue), { recursive: true });
  await copyFile(path.join(host.release, 'samples', 'catalogue.xml'), acmeCatalogue);
  configFile = await writeConfig(host, 'toa.json', { auth: jwtAuth(), domains: [sampleDomain(host), sampleDomain(host, 'acme', acmeCatalogue)] });
  await prepareServiceFolders(configFile);
  server = await serve(host, configFile, unitEnv(), serviceAccount);
  nginx = await startNginx(host.root, certificate, server.url);
});

afterAll(async () => {
  await nginx?.stop();
  await server?.stop('SIGKILL');
  await issuer?.close();
  await host?.close();
});

describe('the admin walk: release, production, jwt, nginx in front', () => {
  it('serves health and the task pane through nginx over TLS, in production mode', async () => {
    const health = await nginx.fetch('/api/health');
    expect(health.status).toBe(200);
    // anyone gets the status alone; the checks are for administrators
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const detailed = await nginx.fetch('/api/health', { headers: { Authorization: `Bearer ${await issuer.token(adminOid)}` } });
    expect(JSON.parse(detailed.body)).toMatchObject({
      status: 'ok',
      timeZone: 'Europe/Prague',
      checks: { dataRoot: { writable: true }, catalogues: { sample: { available: true, source: 'file' }, acme: { available: true, source: 'file' } } },
    });
    const pane = await nginx.fetch('/taskpane.html');
    expect(pane.status).toBe(200);
    expect(pane.headers.get('content-type')).toMatch(/^text\/html/);
    expect(pane.headers.get('content-security-policy')).toMatch(/frame-ancestors/);
    expect(server.output()).not.toMatch(/"level":[45]0/);
    // the browser preview is a developer's tool: never in production or jwt identity
    for (const pathname of ['/', '/preview/', '/preview/taskpane.html']) expect((await nginx.fetch(pathname)).status, pathname).toBe(404);
  });

  it('refuses an anonymous caller and knows a signed-in Entra user', async () => {
    const anonymous = await nginx.fetch('/api/domains');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const me = await nginx.fetch('/api/me', { headers: { Authorization: `Bearer ${await issuer.token(adminOid)}` } });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ userId: `${issuer.tenant}:${adminOid}` });
  });

  it('files a message end to end through nginx: import, upload, attributes, submit, archived', async () => {
    const auth = { Authorization: `Bearer ${await issuer.token(adminOid)}` };
    const created = await nginx.fetch('/api/import/sample', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: Buffer.from('{}'),
    });
    expect(created.status).toBe(201);
    const id = (JSON.parse(created.body) as { id: string }).id;
    filedId = id;

    const form = new FormData();
    const eml = reportedMessage('08-apple-mail-inline-pdf.eml');
    form.set('file', new Blob([await readFile(eml)], { type: 'application/octet-stream' }), path.basename(eml));
    const multipart = new Request('http://multipart.invalid/', { method: 'POST', body: form });
    const uploaded = await nginx.fetch(`/api/import/sample/${id}/documents/1/pages`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': multipart.headers.get('content-type') as string },
      body: Buffer.from(await multipart.arrayBuffer()),
    });
    expect(uploaded.status).toBe(201);
    expect(JSON.parse(uploaded.body)).toMatchObject({ m: 1, contentType: 'message/rfc822' });

    const attributes = { templateId: 'correspondence', attributes: { subject: 'Filed by the admin walk', received: '2026-11-20', direction: 'IN' } };
    const put = await nginx.fetch(`/api/import/sample/${id}/documents/1`, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(attributes)),
    });
    expect(put.status).toBe(200);

    const submitted = await nginx.fetch(`/api/import/sample/${id}/submit`, { method: 'POST', headers: auth });
    expect(submitted.status).toBe(202);
    type Filed = { status: string; attempts: Array<{ idempotencyKey?: string }> };
    let filed = JSON.parse(submitted.body) as Filed;
    for (let poll = 0; filed.status === 'PENDING' && poll < 100; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      filed = JSON.parse((await nginx.fetch(`/api/import/sample/${id}`, { headers: auth })).body) as Filed;
    }
    expect(filed.status).toBe('SUBMITTED');
    // the filesystem archive names each batch by its idempotency key: the import id plus a digest of the content
    const key = filed.attempts.at(-1)?.idempotencyKey ?? '';
    expect(key.startsWith(`${id}.`)).toBe(true);
    expect(existsSync(varDir('lib', 'toa', 'archive', 'sample', key))).toBe(true);

    const audit = await nginx.fetch('/api/admin/sample/audit', { headers: auth });
    expect(audit.status).toBe(200);
    expect(audit.body).toContain(id);
  });

  it('the admin commands of the release read the same configuration and data', async () => {
    const stats = await asService(['stats', '--json', '--config', configFile]);
    expect(stats.code).toBe(0);
    const read = JSON.parse(stats.stdout) as { dataRoot: string; config: string; days: unknown[] };
    expect(read.config).toBe(configFile);
    expect(read.days).toContainEqual(expect.objectContaining({ domain: 'sample', imports: 1, byStatus: { SUBMITTED: 1 } }));
    const fsck = await asService(['fsck', '--json', '--config', configFile]);
    expect(fsck.code).toBe(0);
    const templates = await asService(['templates', 'check', '--config', configFile]);
    expect(templates.code).toBe(0);
    const retention = await asService(['retention', '--dry-run', '--config', configFile]);
    expect(retention.code).toBe(0);
  });

  it('a broken catalogue edit keeps the last good one, and a mended one is taken up without a restart', async () => {
    const admin = { Authorization: `Bearer ${await issuer.token(adminOid)}` };
    type Catalogue = { available: boolean; source?: string; lastFailure?: { reason: string } };
    const acme = async (): Promise<Catalogue | undefined> =>
      (JSON.parse((await nginx.fetch('/api/health', { headers: admin })).body) as { checks: { catalogues: Record<string, Catalogue> } }).checks.catalogues.acme;
    const good = await readFile(acmeCatalogue, 'utf8');

    await writeFile(acmeCatalogue, '<catalogue version="1"><template id="broken"');
    const broken = await asService(['templates', 'refresh', '--config', configFile]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/the running server \(pid \d+\) was asked to reload every catalogue \(SIGHUP\)/);
    await vi.waitFor(async () => expect((await acme())?.lastFailure).toBeDefined(), { timeout: 10_000, interval: 200 });
    expect(await acme()).toMatchObject({ available: true, source: 'file' });
    expect((await nginx.fetch('/api/domains/acme/templates', { headers: admin })).status).toBe(200);

    await writeFile(acmeCatalogue, good);
    const refreshed = await nginx.fetch('/api/admin/acme/templates/refresh', { method: 'POST', headers: admin });
    expect(refreshed.status).toBe(200);
    expect((await acme())?.lastFailure).toBeUndefined();
  });

  it('health answers 503 while the data root cannot be written, the reason for administrators only, and 200 once it can', async () => {
    const admin = { Authorization: `Bearer ${await issuer.token(adminOid)}` };
    const dataRoot = varDir('lib', 'toa', 'data');
    const { mode } = await stat(dataRoot);
    await chmod(dataRoot, 0o555);
    try {
      // health looks at the disk at most once a second, not per call: the change shows after the next look
      await vi.waitFor(async () => expect((await nginx.fetch('/api/health')).status).toBe(503), { timeout: 30_000, interval: 100 });
      const anonymous = await nginx.fetch('/api/health');
      expect(anonymous.status).toBe(503);
      expect(JSON.parse(anonymous.body)).toEqual({ status: 'failing' });
      const detailed = await nginx.fetch('/api/health', { headers: admin });
      expect(detailed.status).toBe(503);
      expect(JSON.parse(detailed.body)).toMatchObject({ status: 'failing', checks: { dataRoot: { writable: false } } });
    } finally {
      await chmod(dataRoot, mode & 0o7777);
    }
    await vi.waitFor(async () => expect((await nginx.fetch('/api/health')).status).toBe(200), { timeout: 30_000, interval: 100 });
  });

  describe('configuration mistakes: one clear line each, exit code 1, no stack trace', () => {
    /** Exit code 1, a line on stderr that matches, no stack frame anywhere; resolves with stderr's lines. */
    const refused = async (args: string[], env: NodeJS.ProcessEnv, expected: RegExp): Promise<string[]> => {
      const result = await asService(args, env);
      expect(result.code, result.stderr).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toContainEqual(expect.stringMatching(expected));
      expect(result.stderr + result.stdout).not.toMatch(/^\s+at /m);
      return lines;
    };
    const serverLog = (): Promise<string> => readFile(varDir('log', 'toa', 'toa-server.log'), 'utf8');

    it('a port that is not a number names TOA_PORT', async () => {
      await refused(['serve', '--config', configFile], { ...unitEnv(), TOA_PORT: 'abc' }, /TOA_PORT/);
    });

    it('dev identity is refused in production', async () => {
      const devConfig = await writeConfig(host, 'dev-in-production.json', { production: true, auth: { mode: 'dev' } });
      await refused(['serve', '--config', devConfig], unitEnv(), /auth\.mode: "dev" is not allowed in production/);
    });

    it('production without a time zone is refused', async () => {
      const zoneless = await writeConfig(host, 'zoneless.json', { timeZone: undefined, production: true });
      await refused(['serve', '--config', zoneless], unitEnv(), /timeZone: is required in production/);
    });

    it('production start-up checks: an unset archive token and an unreachable key set, one line each', async () => {
      const unchecked = await writeConfig(host, 'unchecked.json', {
        auth: { ...jwtAuth(), jwksUrl: `https://127.0.0.1:1/discovery/v2.0/keys` },
        dataRoot: varDir('lib', 'toa', 'unchecked-data'),
        logDir: varDir('lib', 'toa', 'unchecked-logs'),
        domains: [{ ...sampleDomain(host), archive: { type: 'http', url: 'https://dms.acme.example/api/toa', tokenEnv: 'TOA_WALK_ARCHIVE_TOKEN' } }],
      });
      const lines = await refused(['serve', '--config', unchecked], unitEnv(), /^toa-server: not starting in production mode; the start-up checks found:$/);
      expect(lines.slice(1)).toEqual([
        '  - domains[0] "sample": archive.tokenEnv: the environment variable TOA_WALK_ARCHIVE_TOKEN is not set',
        expect.stringMatching(/^ {2}- auth\.jwksUrl: the key set https:\/\/127\.0\.0\.1:1\/discovery\/v2\.0\/keys cannot be fetched/),
      ]);
    });

    it('a second server on the same data root is refused and leaves the first running', async () => {
      expect(await refused(['serve', '--config', configFile], unitEnv(), /another TOA server .* uses this data root; stop it first/)).toHaveLength(1);
      expect((await nginx.fetch('/api/health')).status).toBe(200);
      expect((await serverLog()).match(/TOA server starting/g)).toHaveLength(1);
    });

    it('a port in use: one line naming it, before anything is created', async () => {
      const port = new URL(server.url).port;
      const elsewhere = await writeConfig(host, 'same-port.json', {
        auth: jwtAuth(),
        port: Number(port),
        dataRoot: varDir('lib', 'toa', 'second-data'),
        logDir: varDir('lib', 'toa', 'second-logs'),
      });
      const lines = await refused(
        ['serve', '--config', elsewhere],
        unitEnv(),
        new RegExp(`^toa-server: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`),
      );
      expect(lines).toHaveLength(1);
      expect(existsSync(varDir('lib', 'toa', 'second-data'))).toBe(false);
    });

    it('a data root the service account may not write: one line naming it', async () => {
      const locked = varDir('lib', 'locked');
      await mkdir(locked, { mode: 0o755 });
      // root-owned is enough for the unprivileged account; a run as an ordinary user needs the bits
      if (!serviceAccount) await chmod(locked, 0o555);
      const config = await writeConfig(host, 'locked.json', {
        auth: jwtAuth(),
        dataRoot: path.join(locked, 'data'),
        logDir: varDir('lib', 'toa', 'locked-logs'),
      });
      expect(await refused(['serve', '--config', config], unitEnv(), /^toa-server: dataRoot .*\/locked\/data cannot be used: EACCES/)).toHaveLength(1);
    });
  });

  it('stops cleanly on SIGTERM, as systemd stops it, having asked no registry for anything', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    const log = await readFile(varDir('log', 'toa', 'toa-server.log'), 'utf8');
    expect(log).toMatch(/TOA server stopped/);
    expect(existsSync(varDir('lib', 'toa', 'data', '.toa-server.lock'))).toBe(false);
    expect(host.registryRequests).toEqual([]);
  });

  it('fsck finds an import restored into the wrong date folder, and --repair (server stopped) moves it back', async () => {
    const [day, rest] = filedId.split('_') as [string, string];
    const right = varDir('lib', 'toa', 'data', 'sample', day, rest);
    const wrongDay = varDir('lib', 'toa', 'data', 'sample', '2020-01-01');
    await mkdir(wrongDay);
    if (serviceAccount) await chown(wrongDay, serviceAccount.uid, serviceAccount.gid);
    await rename(right, path.join(wrongDay, rest));
    type Finding = { path: string; problem: string; repaired?: boolean };

    const found = await asService(['fsck', '--json', '--config', configFile]);
    expect(found.code).toBe(1);
    const finding = (JSON.parse(found.stdout) as { findings: Finding[] }).findings.find((f) => f.path === path.join('sample', '2020-01-01', rest));
    expect(finding?.problem).toMatch(/whose folder is elsewhere/);

    const repaired = await asService(['fsck', '--repair', '--json', '--config', configFile]);
    expect((JSON.parse(repaired.stdout) as { findings: Finding[] }).findings.find((f) => f.path === finding?.path)).toMatchObject({ repaired: true });
    const located = await asService(['locate', filedId, '--config', configFile]);
    expect(located.stdout.trim()).toBe(right);
  });
});
