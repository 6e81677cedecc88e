import { Writable } from 'node:stream';
import { paths } from '@toa/api/routes';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_DOMAIN, type TestServer } from './support/server.js';

/** docs/api.md "Request ids" and docs/operations.md: one line per request, with the id the caller sees. */
let server: TestServer;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  server = await startTestServer({ logger: pino({ level: 'info' }, sink) });
});
afterAll(() => server.dispose());

/** The lines about the request whose id is `id`, once the log has them. */
async function linesOf(id: string): Promise<Array<Record<string, unknown>>> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const found = lines.filter((line) => (line.req as { id?: string } | undefined)?.id === id);
    if (found.some((line) => line.msg !== 'request refused')) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request line for ${id}`);
}

describe('the request log', () => {
  it('writes one info line per answered request, with the caller’s request id sent back', async () => {
    const response = await server.as('alice@acme.example')(`${paths.imports(TEST_DOMAIN.code)}?limit=5`, { headers: { 'X-Request-Id': 'list-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('list-1');
    const [line, ...more] = await linesOf('list-1');
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'list-1', method: 'GET', url: `${paths.imports(TEST_DOMAIN.code)}?limit=5` },
      res: { statusCode: 200 },
    });
    expect(typeof line?.responseTime).toBe('number');
  });

  it('gives a request without a usable id a UUID, in the answer and in the line', async () => {
    const response = await server.as('alice@acme.example')(paths.me(), { headers: { 'X-Request-Id': 'not an id!' } });
    const id = response.headers.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await linesOf(id))[0]).toMatchObject({ level: 30, req: { id, method: 'GET', url: paths.me() }, res: { statusCode: 200 } });
  });

  it('keeps a load balancer’s probe that finds the server up out of the info log, and logs a probe with credentials', async () => {
    const probe = await fetch(`${server.url}${paths.health()}`, { headers: { 'X-Request-Id': 'probe-1' } });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-request-id')).toBe('probe-1');
    const live = await fetch(`${server.url}${paths.health()}?probe=live`, { headers: { 'X-Request-Id': 'probe-live' } });
    expect(live.status).toBe(204);
    const liveAsked = await server.as('alice@acme.example')(`${paths.health()}?probe=live`, { headers: { 'X-Request-Id': 'probe-live-2' } });
    expect(liveAsked.status).toBe(204);
    const asked = await server.as('alice@acme.example')(paths.health(), { headers: { 'X-Request-Id': 'probe-2' } });
    expect(asked.status).toBe(200);
    // lines are written in order: once the last probe's is there, the earlier ones' would be too
    expect((await linesOf('probe-2'))[0]).toMatchObject({ level: 30, msg: 'request completed', req: { url: paths.health() } });
    expect((await linesOf('probe-live-2'))[0]).toMatchObject({ level: 30, res: { statusCode: 204 } });
    const idOf = (line: Record<string, unknown>) => (line.req as { id?: string } | undefined)?.id;
    expect(lines.filter((line) => ['probe-1', 'probe-live'].includes(idOf(line) ?? ''))).toEqual([]);
  });

  it('logs a refusal as a warning, its reason on a line that names the same request', async () => {
    const response = await server.as('alice@acme.example')(paths.import(TEST_DOMAIN.code, '2026-01-01_0000-00000000'), {
      headers: { 'X-Request-Id': 'missing-1' },
    });
    expect(response.status).toBe(404);
    const found = await linesOf('missing-1');
    expect(found.map((line) => [line.level, line.msg])).toEqual([
      [40, 'request refused'],
      [40, 'request completed'],
    ]);
    expect(found[0]).toMatchObject({ code: 'IMPORT_NOT_FOUND', req: { id: 'missing-1', method: 'GET' } });
    expect(found[1]).toMatchObject({ res: { statusCode: 404 } });
  });
});

describe('the request log at debug', () => {
  it('has the load balancer’s probe, at debug, with its request id', async () => {
    const debugLines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) debugLines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    const verbose = await startTestServer({ logger: pino({ level: 'debug' }, sink) });
    try {
      expect((await fetch(`${verbose.url}${paths.health()}`, { headers: { 'X-Request-Id': 'probe-3' } })).status).toBe(200);
      let line: Record<string, unknown> | undefined;
      for (let attempt = 0; attempt < 200 && !line; attempt += 1) {
        line = debugLines.find((candidate) => (candidate.req as { id?: string } | undefined)?.id === 'probe-3');
        if (!line) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(line).toMatchObject({ level: 20, msg: 'request completed', req: { method: 'GET', url: paths.health() }, res: { statusCode: 200 } });
    } finally {
      await verbose.dispose();
    }
  });
});
