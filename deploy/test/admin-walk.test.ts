import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { reportedMessage } from '@toa/fixtures';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeConfig } from './support/config.js';
import { type Host, installRelease, type RunningServer, runCommand, serve } from './support/host.js';
import { type Issuer, startIssuer } from './support/identity.js';
import { type Nginx, startNginx } from './support/nginx.js';
import { type Certificate, selfSignedCertificate } from './support/tls.js';

/**
 * The administrator's walk (docs/deployment.md): a host install from the
 * release, a production configuration with Entra-style jwt identity, nginx
 * with the shipped site and TLS in front, a message filed end to end through
 * it, the admin CLI, configuration mistakes, and a clean stop — all with no
 * npm on PATH and no registry reached.
 */
let host: Host;
let certificate: Certificate;
let issuer: Issuer;
let server: RunningServer;
let nginx: Nginx;
let configFile: string;
const adminOid = randomUUID();
const varDir = (...parts: string[]): string => path.join(host.root, 'var', ...parts);

/** The unit's environment: NODE_ENV=production; the walk's CA is trusted for the key set (a real host trusts Microsoft's by default). */
const unitEnv = (): NodeJS.ProcessEnv => ({ NODE_ENV: 'production', NODE_EXTRA_CA_CERTS: certificate.certFile });

beforeAll(async () => {
  host = await installRelease(inject('releaseTarball'));
  certificate = await selfSignedCertificate(host.root, 'toa.test');
  issuer = await startIssuer(certificate);
  configFile = await writeConfig(host, 'toa.json', {
    auth: {
      mode: 'jwt',
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      tenants: [issuer.tenant],
      admins: [`${issuer.tenant}:${adminOid}`],
    },
  });
  server = await serve(host, configFile, unitEnv());
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
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', timeZone: 'Europe/Prague' });
    const pane = await nginx.fetch('/taskpane.html');
    expect(pane.status).toBe(200);
    expect(pane.headers.get('content-type')).toMatch(/^text\/html/);
    expect(pane.headers.get('content-security-policy')).toMatch(/frame-ancestors/);
    expect(server.output()).not.toMatch(/"level":[45]0/);
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
    let status = (JSON.parse(submitted.body) as { status: string }).status;
    for (let poll = 0; status === 'PENDING' && poll < 100; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (JSON.parse((await nginx.fetch(`/api/import/sample/${id}`, { headers: auth })).body) as { status: string }).status;
    }
    expect(status).toBe('SUBMITTED');
    expect(existsSync(varDir('lib', 'toa', 'archive', 'sample', id))).toBe(true);

    const audit = await nginx.fetch('/api/admin/sample/audit', { headers: auth });
    expect(audit.status).toBe(200);
    expect(audit.body).toContain(id);
  });

  it('the admin commands of the release read the same configuration and data', async () => {
    const stats = await runCommand(host, ['stats', '--json', '--config', configFile]);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toEqual([expect.objectContaining({ domain: 'sample', imports: 1, byStatus: { SUBMITTED: 1 } })]);
    const fsck = await runCommand(host, ['fsck', '--json', '--config', configFile]);
    expect(fsck.code).toBe(0);
    const templates = await runCommand(host, ['templates', 'check', '--config', configFile]);
    expect(templates.code).toBe(0);
    const retention = await runCommand(host, ['retention', '--dry-run', '--config', configFile]);
    expect(retention.code).toBe(0);
  });

  describe('configuration mistakes: one clear line each, exit code 1, no stack trace', () => {
    const refused = async (args: string[], env: NodeJS.ProcessEnv, expected: RegExp): Promise<void> => {
      const result = await runCommand(host, args, env);
      expect(result.code).toBe(1);
      expect(result.stderr + result.stdout).toMatch(expected);
      expect(result.stderr + result.stdout).not.toMatch(/^\s+at /m);
    };

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

    it('a second server on the same data root is refused and leaves the first running', async () => {
      await refused(['serve', '--config', configFile], unitEnv(), /another TOA server .* uses this data root; stop it first/);
      expect((await nginx.fetch('/api/health')).status).toBe(200);
    });
  });

  it('stops cleanly on SIGTERM, as systemd stops it, having asked no registry for anything', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    const log = await readFile(varDir('log', 'toa', 'toa-server.log'), 'utf8');
    expect(log).toMatch(/TOA server stopped/);
    expect(existsSync(varDir('lib', 'toa', 'data', '.toa-server.lock'))).toBe(false);
    expect(host.registryRequests).toEqual([]);
  });
});
