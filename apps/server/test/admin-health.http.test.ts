import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { problemSchema } from '@toa/api/errors';
import { catalogueRefreshResponseSchema, healthSchema } from '@toa/api/identity';
import { paths } from '@toa/api/routes';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SPEC_CATALOGUE } from '@toa/fixtures/catalogue';
import { freePort } from '@toa/fixtures/ports';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * What an administrator sees of a running server: `/api/health` (status for
 * anyone, checks for administrators), catalogue reloads without a restart,
 * and the start-up checks of a dev server.
 */

const started: TestServer[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A real catalogue server on loopback whose answer the test changes. */
async function catalogueServer(): Promise<{ url: string; answer: (status: number, body: string) => void }> {
  let current: [number, string] = [500, 'down'];
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(current[0], { 'content-type': 'application/xml' }).end(current[1]);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cmserver2.xml`,
    answer: (status, body) => {
      current = [status, body];
    },
  };
}

const ADMIN = 'admin@acme.example';
const acme = { code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem' as const, root: './archive/acme' } };

describe('GET /api/health', () => {
  it('gives anyone the status only and 503 when degraded; an administrator gets the checks, with source and age', async () => {
    const port = await freePort();
    const server = await startTestServer({
      overrides: {
        domains: [
          acme,
          { code: 'globex', name: 'Globex', templates: { url: `http://127.0.0.1:${port}/cm.xml` }, archive: { type: 'filesystem', root: './archive/globex' } },
        ],
      },
    });
    started.push(server);

    for (const response of [await fetch(`${server.url}${paths.health()}`), await server.as('alice@acme.example')(paths.health())]) {
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ status: 'degraded' });
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|archive/);
    }

    const asAdmin = await server.as(ADMIN)(paths.health());
    expect(asAdmin.status).toBe(503);
    const health = healthSchema.parse(await asAdmin.json());
    expect(health.status).toBe('degraded');
    expect(health.checks?.catalogues.acme).toMatchObject({ available: true, source: 'file', templates: 2 });
    expect(health.checks?.catalogues.acme?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(health.checks?.catalogues.acme?.fetchedAt ?? '')).not.toBeNaN();
    expect(health.checks?.catalogues.globex).toMatchObject({ available: false, lastFailure: { reason: expect.stringMatching(/ECONNREFUSED/) } });
    expect(Date.parse(health.checks?.catalogues.globex?.nextAttemptAt ?? '')).not.toBeNaN();
    expect(health.checks?.archives).toEqual({ acme: { ok: true }, globex: { ok: true } });
  });

  it('answers 200 with the status alone when everything is ready', async () => {
    const server = await startTestServer();
    started.push(server);
    const response = await fetch(`${server.url}${paths.health()}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('POST /api/admin/:domain/templates/refresh', () => {
  it('brings back a URL catalogue that failed, and picks up a changed file, without a restart', async () => {
    const cm = await catalogueServer();
    const server = await startTestServer({
      overrides: {
        domains: [acme, { code: 'globex', name: 'Globex', templates: { url: cm.url }, archive: { type: 'filesystem', root: './archive/globex' } }],
      },
    });
    started.push(server);
    const user = server.as('alice@acme.example');
    const admin = server.as(ADMIN);
    expect((await user(paths.templates('globex'))).status).toBe(503);

    cm.answer(200, SPEC_CATALOGUE);
    const refused = await user(paths.catalogueRefresh('globex'), { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(problemSchema.parse(await refused.json()).code).toBe('FORBIDDEN');

    const reloaded = await admin(paths.catalogueRefresh('globex'), { method: 'POST' });
    expect(reloaded.status).toBe(200);
    expect(catalogueRefreshResponseSchema.parse(await reloaded.json())).toMatchObject({ domain: 'globex', available: true, source: 'url', templates: 2 });
    expect((await user(paths.templates('globex'))).status).toBe(200);

    await writeFile(
      path.join(server.dir, 'acme.xml'),
      '<?xml version="1.0"?><catalogue version="1"><template id="contract" name="Contract"><attribute id="party" label="Party" type="text"/></template></catalogue>',
    );
    const before = (await (await user(paths.templates('acme'))).json()) as { templates: Array<{ id: string }> };
    expect(before.templates.map((t) => t.id)).toEqual(['invoice', 'note']);
    expect((await admin(paths.catalogueRefresh('acme'), { method: 'POST' })).status).toBe(200);
    const after = (await (await user(paths.templates('acme'))).json()) as { templates: Array<{ id: string }> };
    expect(after.templates.map((t) => t.id)).toEqual(['contract']);
    expect((await admin(paths.catalogueRefresh('nowhere'), { method: 'POST' })).status).toBe(404);
  });
});

describe('start-up checks outside production', () => {
  it('warns about each problem, starts, and reports them to administrators in /api/health', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        callback();
      },
    });
    const server = await startTestServer({
      logger: pino({ level: 'info' }, sink),
      env: {},
      overrides: {
        domains: [
          acme,
          {
            code: 'globex',
            name: 'Globex',
            templates: { file: './acme.xml' },
            archive: { type: 'http', url: 'http://127.0.0.1:9/upload', tokenEnv: 'GLOBEX_ARCHIVE_TOKEN' },
          },
        ],
      },
    });
    started.push(server);
    expect(lines.filter((l) => l.msg.startsWith('start-up check:'))).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'start-up check: domains[1] "globex": archive.tokenEnv: the environment variable GLOBEX_ARCHIVE_TOKEN is not set',
      }),
    ]);
    const health = healthSchema.parse(await (await server.as(ADMIN)(paths.health())).json());
    expect(health.status).toBe('degraded');
    expect(health.checks?.archives.globex).toEqual({ ok: false, detail: 'archive.tokenEnv: the environment variable GLOBEX_ARCHIVE_TOKEN is not set' });
  });
});
