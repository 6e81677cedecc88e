import { request as httpRequest } from 'node:http';
import { importSchema } from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import { templatesResponseSchema } from '@toa/api/templates';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
});

describe('limits', () => {
  it('answers 429 once a user passes requestsPerMinute, per user', async () => {
    const server = await startTestServer({ overrides: { limits: { requestsPerMinute: 5 } } });
    started.push(server);
    const alice = server.as('alice@acme.example');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await alice(paths.domains())).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await alice(paths.domains());
    expect(problemSchema.parse(await refused.json()).code).toBe('RATE_LIMITED');
    expect((await server.as('bob@acme.example')(paths.domains())).status).toBe(200);
  });

  it('sends the draft-8 rate-limit headers of docs/api.md, and Retry-After once refused', async () => {
    const server = await startTestServer({ overrides: { limits: { requestsPerMinute: 6 } } });
    started.push(server);
    const alice = server.as('alice@acme.example');
    const answers: Response[] = [];
    for (let i = 0; i < 7; i += 1) answers.push(await alice(paths.me()));
    const [first, seventh] = [answers[0], answers[6]];
    // the user's policy, and the per-address policy of refused sign-ins (none refused here)
    expect(first?.headers.get('ratelimit-policy')).toBe(
      '"refused-per-address"; q=300; w=60; pk=:MTJjYTE3YjQ5YWYy:, "6-in-1min"; q=6; w=60; pk=:YjI5NDMzNTEzZGI4:',
    );
    expect(first?.headers.get('ratelimit')).toMatch(/^"refused-per-address"; r=299; t=(60|59), "6-in-1min"; r=5; t=(60|59)$/);
    expect(first?.headers.get('retry-after')).toBeNull();
    expect(seventh?.status).toBe(429);
    expect(seventh?.headers.get('ratelimit')).toMatch(/, "6-in-1min"; r=0; t=(60|59)$/);
    expect(seventh?.headers.get('retry-after')).toMatch(/^(60|59)$/);
  });

  it('counts only refused sign-ins against an address, and past refusedPerMinute answers it 429 before looking at who it is', async () => {
    const server = await startTestServer({ overrides: { limits: { refusedPerMinute: 3 } } });
    started.push(server);
    const alice = server.as('alice@acme.example');
    // signed-in requests are taken back: twice the limit of them changes nothing
    for (let i = 0; i < 6; i += 1) expect((await alice(paths.me())).status).toBe(200);
    const anonymous = () => fetch(`${server.url}${paths.me()}`);
    const refusals: Response[] = [];
    for (let i = 0; i < 4; i += 1) refusals.push(await anonymous());
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(refusals.map((r) => /"refused-per-address"; r=(\d+)/.exec(r.headers.get('ratelimit') ?? '')?.[1])).toEqual(['2', '1', '0', '0']);
    // the address is over its limit: even a caller it would sign in waits
    expect((await alice(paths.me())).status).toBe(429);
  });

  it('sends each rate-limit field on one line, its policies joined as one list (RFC 9110 §5.3)', async () => {
    const server = await startTestServer();
    started.push(server);
    const { port } = new URL(server.url);
    const rawHeaders = await new Promise<string[]>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, path: paths.me(), headers: { [DEV_IDENTITY_HEADERS.email]: 'alice@acme.example' } },
        (response) => {
          response.resume();
          resolve(response.rawHeaders);
        },
      );
      request.on('error', reject);
      request.end();
    });
    const lines = (name: string) => rawHeaders.filter((_value, i) => i % 2 === 0 && rawHeaders[i]?.toLowerCase() === name);
    expect(lines('ratelimit')).toHaveLength(1);
    expect(lines('ratelimit-policy')).toHaveLength(1);
  });

  it('refuses a page past pagesPerDocument with 422 and keeps nothing', async () => {
    const server = await startTestServer({ overrides: { limits: { pagesPerDocument: 2 } } });
    started.push(server);
    const alice = server.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await alice(paths.pages('acme', created.id, 1), upload(new Uint8Array([i]), `${i}.bin`, 'application/octet-stream'))).status);
    expect(statuses).toEqual([201, 201, 422]);
    const stored = importSchema.parse(await (await alice(paths.import('acme', created.id))).json());
    expect(stored.documents[0]?.pages.map((p) => p.m)).toEqual([1, 2]);
  });

  it('tells clients limits.attributeLength with the templates, and refuses a value one character over it', async () => {
    const server = await startTestServer({ overrides: { limits: { attributeLength: 12 } } });
    started.push(server);
    const alice = server.as('alice@acme.example');
    const catalogue = templatesResponseSchema.parse(await (await alice(paths.templates('acme'))).json());
    expect(catalogue.limits).toEqual({ attributeLength: 12 });

    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const put = (title: string) => alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'note', attributes: { title } }));
    // Code points, not UTF-16 units: twelve emoji are twelve characters.
    expect((await put('😀'.repeat(12))).status).toBe(200);
    const refused = await put('😀'.repeat(13));
    expect(refused.status).toBe(422);
    expect(problemSchema.parse(await refused.json()).errors).toEqual([{ field: 'title', code: 'maxLength', message: 'Title must be at most 12 characters' }]);
  });
});
