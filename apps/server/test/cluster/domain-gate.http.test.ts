import { readdir } from 'node:fs/promises';
import net from 'node:net';
import { problemSchema } from '@toa/api/errors';
import { healthSchema } from '@toa/api/identity';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainDomain, undrainDomain } from '../../src/cli/cluster.js';
import type { ClusterNode } from '../../src/config/schema.js';
import type { Output } from '../../src/cli/output.js';
import { identityLines, requestHead } from '../hostile/support.js';
import { json, startTestServer, TestClock, type TestServer, upload } from '../support/server.js';

let server: TestServer;
const clock = new TestClock(new Date());
let alice: ReturnType<TestServer['as']>;

const other = (code: string) => ({ code, name: code, templates: { file: './acme.xml' }, archive: { type: 'filesystem' as const, root: `./archive/${code}` } });

beforeAll(async () => {
  server = await startTestServer({
    clock,
    overrides: {
      domains: [
        { code: 'acme', name: 'ACME archive', templates: { file: './acme.xml' }, archive: { type: 'filesystem', root: './archive/acme' } },
        other('globex'),
      ],
      cluster: {
        self: 'toa-1',
        nodes: [
          { name: 'toa-1', url: 'http://127.0.0.1:3101', domains: ['acme'] },
          { name: 'toa-2', url: 'http://127.0.0.1:3102', domains: ['globex'] },
        ],
      },
    },
  });
  alice = server.as('alice@acme.example');
});
afterAll(() => server.dispose());

const quiet: Output = { result: () => undefined, error: () => undefined };

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return problemSchema.parse(await response.json());
}

async function newImport(): Promise<Import> {
  const response = await alice(paths.imports('acme'), json('POST', {}));
  expect(response.status).toBe(201);
  return importSchema.parse(await response.json());
}

describe('a cluster node', () => {
  it('answers 421 naming the owner for every domain-scoped route of another node’s domain', async () => {
    for (const [method, pathname] of [
      ['POST', paths.imports('globex')],
      ['GET', paths.imports('globex')],
      ['GET', paths.templates('globex')],
      ['GET', paths.audit('globex')],
      ['DELETE', paths.import('globex', '2026-01-01_0000-00000000')],
      // the router decodes the segment; so does the gate
      ['GET', '/api/import/%67lobex'],
    ] as const) {
      const response = await alice(pathname, { method });
      expect(response.status, `${method} ${pathname}`).toBe(421);
      const body = await problemOf(response);
      expect(body.code).toBe('DOMAIN_ELSEWHERE');
      expect(body.detail).toContain('node "toa-2" (http://127.0.0.1:3102)');
    }
    // nothing of globex is stored here
    expect(await readdir(server.dataRoot)).not.toContain('globex');
  });

  it('answers the unscoped routes for every domain, and its own domains as before', async () => {
    expect((await alice('/api/health')).status).toBe(200);
    expect((await alice('/api/me')).status).toBe(200);
    const listed = (await (await alice(paths.domains())).json()) as { domains: Array<{ code: string }> };
    expect(listed.domains.map((d) => d.code)).toEqual(['acme', 'globex']);
    await newImport();
    // an unknown domain is still the usual 404, not a 421
    expect((await problemOf(await alice(paths.imports('hooli')))).code).toBe('DOMAIN_NOT_FOUND');
  });
});

describe('draining a domain', () => {
  it('waits for a write under way, then serves reads and answers writes 503 with Retry-After, until undrained', async () => {
    const created = await newImport();
    // an upload whose body is held back: a write under way when the drain begins
    const { hostname, port } = new URL(server.url);
    const boundary = 'toa-drain';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const rest = Buffer.from(`%PDF-1.4 held back\r\n--${boundary}--\r\n`);
    const socket = net.connect(Number(port), hostname);
    const reply: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => reply.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      requestHead('POST', paths.pages('acme', created.id, 1), [
        ...identityLines('alice@acme.example'),
        `Content-Type: multipart/form-data; boundary=${boundary}`,
        `Content-Length: ${head.length + rest.length}`,
        'Connection: close',
      ]),
    );
    socket.write(head);
    await new Promise((resolve) => setTimeout(resolve, 300));

    let drained: number | undefined;
    const drain = drainDomain(server.config, 'acme', 60, quiet).then((code) => {
      drained = code;
    });
    // the server sees the request within its poll; new writes are refused, the held upload is not
    let refused: Response | undefined;
    for (let i = 0; i < 100; i += 1) {
      refused = await alice(paths.imports('acme'), json('POST', {}));
      if (refused.status !== 201) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await problemOf(refused as Response)).code).toBe('DOMAIN_READ_ONLY');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(drained).toBeUndefined();

    socket.write(rest);
    await closed;
    expect(Buffer.concat(reply).toString('utf8')).toMatch(/^HTTP\/1\.1 201/);
    await drain;
    expect(drained).toBe(0);

    // reads go on, and show the page that was under way
    const read = await alice(paths.import('acme', created.id));
    expect(read.status).toBe(200);
    expect(importSchema.parse(await read.json()).documents[0]?.pages).toHaveLength(1);
    expect((await alice(paths.imports('acme'))).status).toBe(200);
    // asking for filing suggestions is a POST that only reads
    expect((await alice(paths.suggestions('acme'), json('POST', { subject: 'Invoice' }))).status).toBe(200);
    for (const [method, init] of [
      ['PUT', json('PUT', { templateId: 'x', attributes: {} })],
      ['DELETE', { method: 'DELETE' }],
      ['POST', upload(Buffer.from('%PDF-1.4'), 'more.pdf', 'application/pdf')],
    ] as const) {
      const pathname =
        method === 'POST' ? paths.pages('acme', created.id, 1) : method === 'PUT' ? paths.document('acme', created.id, 1) : paths.import('acme', created.id);
      const response = await alice(pathname, init);
      expect(response.status, method).toBe(503);
      expect((await problemOf(response)).code).toBe('DOMAIN_READ_ONLY');
    }

    await undrainDomain(server.config, 'acme', quiet);
    let accepted = 0;
    for (let i = 0; i < 100 && accepted !== 201; i += 1) {
      accepted = (await alice(paths.imports('acme'), json('POST', {}))).status;
      if (accepted !== 201) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(accepted).toBe(201);
  });

  it('is refused for a domain this node does not own', async () => {
    await expect(drainDomain(server.config, 'globex', 1, quiet)).rejects.toThrow('owned by node "toa-2"');
  });

  it('answers by the map read again on SIGHUP: a domain moved away is 421 naming its new owner, one moved here is opened and served', async () => {
    const map = server.context.clusterMap;
    if (!map) throw new Error('no cluster map');
    const started = map.current;
    const [one, two] = started.nodes as [ClusterNode, ClusterNode];
    const moved = { ...one, domains: ['globex'] };
    const other = { ...two, domains: ['acme'] };
    const filed = await newImport();
    // the two domains trade places, as a configuration file edited for it reads
    expect(server.reloadCluster(() => ({ ...started, self: moved, nodes: [moved, other], owners: { acme: other, globex: moved } }))).toEqual({
      released: ['acme'],
      arrived: ['globex'],
      movedElsewhere: [],
    });
    const away = await alice(paths.imports('acme'));
    expect(away.status).toBe(421);
    expect(await problemOf(away)).toMatchObject({ code: 'DOMAIN_ELSEWHERE', detail: expect.stringContaining('"toa-2"') });
    // globex: 503 STARTING with Retry-After while its pass runs, then served (its folder made by the pass)
    let arriving = await alice(paths.imports('globex'));
    for (let i = 0; i < 200 && arriving.status !== 200; i += 1) {
      expect(arriving.status).toBe(503);
      expect(arriving.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await problemOf(arriving)).toMatchObject({ code: 'STARTING' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      arriving = await alice(paths.imports('globex'));
    }
    expect(arriving.status).toBe(200);
    expect(await readdir(server.config.dataRoot)).toContain('globex');
    expect((await alice(paths.imports('globex'), json('POST', {}))).status).toBe(201);
    // health reports on what is served here now: the archive and catalogue of the domain moved here, not of the one moved away
    expect(await servedInHealth()).toEqual({ archives: ['globex'], catalogues: ['globex'] });

    // and back: acme is opened again from its folder (what it holds now, not what this process knew)
    const today = clock.current;
    clock.current = new Date(today.getTime() + 40 * 86_400_000);
    expect(server.reloadCluster(() => started)).toEqual({ released: ['globex'], arrived: ['acme'], movedElsewhere: [] });
    // a retention sweep while its pass runs leaves it alone (the pass owns its folders until it is open): the next sweep takes it
    const during = await server.retention({ dryRun: true });
    expect(during.deleted.filter((d) => d.domain === 'acme')).toEqual([]);
    let back = await alice(paths.imports('acme'));
    for (let i = 0; i < 200 && back.status !== 200; i += 1) {
      expect((await problemOf(back)).code).toBe('STARTING');
      await new Promise((resolve) => setTimeout(resolve, 50));
      back = await alice(paths.imports('acme'));
    }
    expect(back.status).toBe(200);
    expect(((await back.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id)).toContain(filed.id);
    expect((await server.retention({ dryRun: true })).deleted).toContainEqual(expect.objectContaining({ domain: 'acme', id: filed.id }));
    clock.current = today;
    expect((await alice(paths.imports('globex'))).status).toBe(421);
    expect(await servedInHealth()).toEqual({ archives: ['acme'], catalogues: ['acme'] });
  });
});

/**
 * The domains an administrator's `/api/health` checks, once its look at the
 * disk (at most a second old, see docs/operations.md) has been taken since
 * the last move.
 */
async function servedInHealth(): Promise<{ archives: string[]; catalogues: string[] }> {
  const admin = server.as('admin@acme.example');
  const look = async () => {
    const { checks } = healthSchema.parse(await (await admin('/api/health')).json());
    return { archives: Object.keys(checks?.archives ?? {}), catalogues: Object.keys(checks?.catalogues ?? {}) };
  };
  let seen = await look();
  for (let i = 0; i < 60 && seen.archives.join() !== seen.catalogues.join(); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await look();
  }
  return seen;
}
