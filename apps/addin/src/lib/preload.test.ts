import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiClient, ApiError, createApiClient } from './api-client';
import { preloadingClient } from './preload';

/**
 * A loopback server that holds every request until the test answers it, so the
 * test sees which requests were under way at the same time.
 */
interface Held {
  url: string;
  answer(status: number, body: unknown): void;
}
let server: Server;
let baseUrl: string;
let held: Held[] = [];
let waiters: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    held.push({
      url: req.url ?? '',
      answer: (status, body) => {
        res.writeHead(status, { 'Content-Type': status < 300 ? 'application/json' : 'application/problem+json' });
        res.end(JSON.stringify(body));
      },
    });
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  held = [];
  waiters = [];
});

function plainClient(): ApiClient {
  return createApiClient({ baseUrl, identity: () => ({ email: 'bob@acme.example', name: 'Bob' }), retry: { attempts: 1, baseDelayMs: 1 } });
}

/** Resolves once the server has received `count` requests in all. */
async function received(count: number): Promise<string[]> {
  while (held.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
  return held.map((h) => h.url);
}

function answer(url: string, status: number, body: unknown) {
  const request = held.find((h) => h.url === url);
  if (!request) throw new Error(`no request for ${url}; received: ${held.map((h) => h.url).join(', ')}`);
  held = held.filter((h) => h !== request);
  request.answer(status, body);
}

const ONE_DOMAIN = { domains: [{ code: 'acme', name: 'ACME', catalogueAvailable: true }] };
const TWO_DOMAINS = { domains: [...ONE_DOMAIN.domains, { code: 'beta', name: 'Beta', catalogueAvailable: true }] };
const TEMPLATES = (domain: string) => ({ domain, source: 'file', loadedAt: '2026-11-30T09:00:00.000Z', templates: [] });
const LAST = (department: string) => ({ templates: { invoice: { department } } });

const DOMAINS_URL = '/api/domains';
const templatesUrl = (domain: string) => `/api/domains/${domain}/templates`;
const lastValuesUrl = (domain: string) => `/api/domains/${domain}/last-values`;

describe('preloadingClient', () => {
  it('asks for the domains at once and, once the only domain is known, for its templates and last values together', async () => {
    const client = preloadingClient(plainClient(), undefined);
    // nothing of the pane has asked yet
    expect(await received(1)).toEqual([DOMAINS_URL]);
    answer(DOMAINS_URL, 200, ONE_DOMAIN);
    // both reads of the domain are under way before either is answered
    expect((await received(2)).sort()).toEqual([lastValuesUrl('acme'), templatesUrl('acme')]);
    answer(templatesUrl('acme'), 200, TEMPLATES('acme'));
    answer(lastValuesUrl('acme'), 200, LAST('FIN'));

    // the pane's first calls get those answers, with no request of their own
    await expect(client.domains()).resolves.toEqual(ONE_DOMAIN);
    await expect(client.templates('acme')).resolves.toMatchObject({ domain: 'acme' });
    await expect(client.lastValues('acme')).resolves.toEqual(LAST('FIN'));
    expect(held).toEqual([]);
  });

  it("asks for the start domain's templates and last values beside the domains, not after them", async () => {
    preloadingClient(plainClient(), 'beta');
    expect((await received(3)).sort()).toEqual([DOMAINS_URL, lastValuesUrl('beta'), templatesUrl('beta')]);
    answer(DOMAINS_URL, 200, TWO_DOMAINS);
    answer(templatesUrl('beta'), 200, TEMPLATES('beta'));
    answer(lastValuesUrl('beta'), 200, LAST('HR'));
  });

  it('with several domains and none to start on, asks for nothing but the domains', async () => {
    const client = preloadingClient(plainClient(), undefined);
    await received(1);
    answer(DOMAINS_URL, 200, TWO_DOMAINS);
    await expect(client.domains()).resolves.toEqual(TWO_DOMAINS);
    // the user picks a domain: its reads go to the server then
    const templates = client.templates('beta');
    expect(await received(1)).toEqual([templatesUrl('beta')]);
    answer(templatesUrl('beta'), 200, TEMPLATES('beta'));
    await expect(templates).resolves.toMatchObject({ domain: 'beta' });
  });

  it('hands a started answer to the first call only: a later call reads the server again (the last values after a filing)', async () => {
    const client = preloadingClient(plainClient(), 'acme');
    await received(3);
    answer(DOMAINS_URL, 200, ONE_DOMAIN);
    answer(templatesUrl('acme'), 200, TEMPLATES('acme'));
    answer(lastValuesUrl('acme'), 200, LAST('FIN'));
    await expect(client.lastValues('acme')).resolves.toEqual(LAST('FIN'));

    // the user filed a message: the server now remembers HR
    const again = client.lastValues('acme');
    expect(await received(1)).toEqual([lastValuesUrl('acme')]);
    answer(lastValuesUrl('acme'), 200, LAST('HR'));
    await expect(again).resolves.toEqual(LAST('HR'));

    // the domain picker's Try again
    await expect(client.domains()).resolves.toEqual(ONE_DOMAIN);
    const domainsAgain = client.domains();
    expect(await received(1)).toEqual([DOMAINS_URL]);
    answer(DOMAINS_URL, 200, TWO_DOMAINS);
    await expect(domainsAgain).resolves.toEqual(TWO_DOMAINS);
  });

  it("never hands one domain's started answer to a call for another, nor later to its own domain", async () => {
    const client = preloadingClient(plainClient(), 'acme');
    await received(3);
    answer(DOMAINS_URL, 200, TWO_DOMAINS);
    answer(templatesUrl('acme'), 200, TEMPLATES('acme'));
    answer(lastValuesUrl('acme'), 200, LAST('FIN'));

    // the message's draft was for beta after all
    const beta = client.lastValues('beta');
    expect(await received(1)).toEqual([lastValuesUrl('beta')]);
    answer(lastValuesUrl('beta'), 200, LAST('LEGAL'));
    await expect(beta).resolves.toEqual(LAST('LEGAL'));

    // back on acme, much later: read afresh, not the answer of the pane's opening
    const acme = client.lastValues('acme');
    expect(await received(1)).toEqual([lastValuesUrl('acme')]);
    answer(lastValuesUrl('acme'), 200, LAST('HR'));
    await expect(acme).resolves.toEqual(LAST('HR'));
  });

  it('a started read that failed fails the first call as the call would have; the next one (Try again) asks again', async () => {
    const client = preloadingClient(plainClient(), undefined);
    await received(1);
    answer(DOMAINS_URL, 500, { type: 'about:blank', title: 'Broken', status: 500, detail: 'disk on fire', code: 'INTERNAL' });
    const failed = await client.domains().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(500);

    const retried = client.domains();
    expect(await received(1)).toEqual([DOMAINS_URL]);
    answer(DOMAINS_URL, 200, ONE_DOMAIN);
    await expect(retried).resolves.toEqual(ONE_DOMAIN);
  });
});
