import { importSchema } from '@toa/api/imports';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
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
});
