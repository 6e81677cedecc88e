import { rename } from 'node:fs/promises';
import { connect } from 'node:net';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import { freePort } from '@toa/fixtures/ports';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * Issue 13: an orchestrator's httpGet probe sees only the status code. A
 * readiness probe must take a node out of its Service while it starts or is
 * failing, but not while it is merely degraded (it still serves its domains);
 * a liveness probe must not restart a node for what a restart cannot cure.
 */

const started: TestServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.dispose();
});

/** Waits until something accepts connections on the port (the server takes it before anything else). */
async function listening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const socket = connect(port, '127.0.0.1');
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    });
    socket.destroy();
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nothing listens on port ${port}`);
}

const probe = (server: { url: string }, which?: string) => fetch(`${server.url}${paths.health()}${which ? `?probe=${which}` : ''}`);

describe('GET /api/health?probe=', () => {
  it('ready answers 200 while degraded (plain health answers 503), live answers 204', async () => {
    const closed = await freePort();
    const server = await startTestServer({
      overrides: {
        domains: [
          { code: 'acme', name: 'ACME', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive/acme' } },
          {
            code: 'globex',
            name: 'Globex',
            templates: { url: `http://127.0.0.1:${closed}/cm.xml` },
            archive: { type: 'filesystem', root: './archive/globex' },
          },
        ],
      },
    });
    started.push(server);
    const plain = await probe(server);
    expect(plain.status).toBe(503);
    expect(await plain.json()).toEqual({ status: 'degraded' });
    const ready = await probe(server, 'ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'degraded' });
    const live = await probe(server, 'live');
    expect(live.status).toBe(204);
    expect(await live.text()).toBe('');
  });

  it('ready answers 503 while failing (the data root is gone), live still 204; both recover with the data root', async () => {
    const server = await startTestServer();
    started.push(server);
    expect((await probe(server, 'ready')).status).toBe(200);
    await rename(server.dataRoot, `${server.dataRoot}.away`);
    try {
      // health looks at the disk at most once a second, not per call: the change shows after the next look
      await vi.waitFor(async () => expect((await probe(server, 'ready')).status).toBe(503), { timeout: 30_000, interval: 100 });
      const ready = await probe(server, 'ready');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'failing' });
      expect((await probe(server, 'live')).status).toBe(204);
    } finally {
      await rename(`${server.dataRoot}.away`, server.dataRoot);
    }
    await vi.waitFor(async () => expect((await probe(server, 'ready')).status).toBe(200), { timeout: 30_000, interval: 100 });
  });

  it('before the app is built: health and ready say starting (503, Retry-After), live passes, other routes 503 STARTING', async () => {
    const port = await freePort();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // the start-up check fetches the key set (jwt): held here, the server stays in its starting state
    const keySet = async (): Promise<Response> => {
      await gate;
      return Response.json({ keys: [] });
    };
    const starting = startTestServer({
      fetch: keySet,
      overrides: {
        port,
        auth: {
          mode: 'jwt',
          jwksUrl: 'http://127.0.0.1:9/keys',
          issuer: 'https://login.example/v2.0',
          audience: 'api://toa',
          tenants: ['72f988bf-86f1-41af-91ab-2d7cd011db47'],
        },
      },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await listening(port);
      for (const which of [undefined, 'ready']) {
        const response = await probe({ url }, which);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(await response.json()).toEqual({ status: 'starting' });
      }
      expect((await probe({ url }, 'live')).status).toBe(204);
      const me = await fetch(`${url}${paths.me()}`);
      expect(me.status).toBe(503);
      expect(me.headers.get('retry-after')).toBe('1');
      expect(problemSchema.parse(await me.json()).code).toBe('STARTING');
    } finally {
      release();
      started.push(await starting);
    }
    expect((await probe({ url }, 'live')).status).toBe(204);
  });

  it('an unknown probe is a 400 problem', async () => {
    const server = await startTestServer();
    started.push(server);
    const response = await probe(server, 'startup');
    expect(response.status).toBe(400);
    expect(problemSchema.parse(await response.json()).code).toBe('VALIDATION_FAILED');
  });
});
