import { request } from 'node:http';
import { problemSchema } from '@toa/api/errors';
import { importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VALID_INVOICE } from '@toa/fixtures/catalogue';
import { parseExposition, type Sample, sampleValue } from './support/prometheus-text.js';
import { json, settled, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Issue 13, metrics: `GET /metrics` in the Prometheus text format, only for
 * the scrapers the configuration names. Everything here goes over real HTTP to
 * a real server; the values are what the server's own state says.
 */

const TOKEN = 'scrape-token-3f9a';
const scraper = { Authorization: `Bearer ${TOKEN}` };

async function scrape(server: TestServer): Promise<Sample[]> {
  const response = await fetch(`${server.url}/metrics`, { headers: scraper });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

/** A request with the path exactly as given: fetch would resolve `..` segments before sending. */
function rawGet(server: TestServer, pathname: string): Promise<number> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: pathname, method: 'GET', headers: { 'X-TOA-User-Email': 'mallory@acme.example' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics without a metrics section', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.dispose());

  it('does not exist: 404 problem, for anyone', async () => {
    for (const response of [await fetch(`${server.url}/metrics`), await server.as('admin@acme.example')('/metrics')]) {
      expect(response.status).toBe(404);
      expect(problemSchema.parse(await response.json()).code).toBe('NOT_FOUND');
    }
  });
});

describe('GET /metrics for configured scrapers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { metrics: { allow: ['127.0.0.1/32'], tokenEnv: 'TOA_METRICS_TOKEN' } }, env: { TOA_METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => server.dispose());

  it('refuses task-pane users and callers without the token with a 403 problem', async () => {
    const alice = server.as('alice@acme.example');
    const admin = server.as('admin@acme.example');
    for (const response of [
      await alice('/metrics'),
      await admin('/metrics'),
      await fetch(`${server.url}/metrics`),
      await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer not-the-token' } }),
    ]) {
      expect(response.status).toBe(403);
      const problem = problemSchema.parse(await response.json());
      expect(problem.code).toBe('FORBIDDEN');
    }
  });

  it('refuses an address off the allow-list even with the token: a user behind the loopback proxy is judged by the forwarded address', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { ...scraper, 'X-Forwarded-For': '203.0.113.9' } });
    expect(response.status).toBe(403);
    expect(problemSchema.parse(await response.json()).code).toBe('FORBIDDEN');
  });

  it('serves the metrics, and their values move after a filing', async () => {
    const before = await scrape(server);
    expect(sampleValue(before, 'toa_node_info', { node: 'single' })).toBe(1);
    expect(sampleValue(before, 'toa_health_status', { status: 'ok' })).toBe(1);
    expect(sampleValue(before, 'toa_catalogue_available', { domain: 'acme' })).toBe(1);
    expect(sampleValue(before, 'toa_archive_ready', { domain: 'acme' })).toBe(1);
    expect(sampleValue(before, 'toa_data_root_free_bytes')).toBeGreaterThan(0);
    expect(sampleValue(before, 'toa_data_root_reserve_bytes')).toBe(1024 * 1024 * 1024);
    expect(sampleValue(before, 'toa_parse_workers')).toBe(2);
    expect(sampleValue(before, 'toa_parse_queue_capacity')).toBe(64);
    expect(sampleValue(before, 'toa_parse_queue_length')).toBe(0);
    // the process's own metrics come along
    expect(before.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);

    const alice = server.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const bytes = new TextEncoder().encode('Subject: filed\r\nFrom: a@acme.example\r\n\r\ncounted by the metrics\r\n');
    expect((await alice(paths.pages('acme', created.id, 1), upload(bytes, 'filed.eml', 'message/rfc822'))).status).toBe(201);
    expect((await alice(paths.document('acme', created.id, 1), json('PUT', { templateId: 'invoice', attributes: VALID_INVOICE }))).status).toBe(200);
    expect((await alice(paths.submit('acme', created.id), { method: 'POST' })).status).toBe(202);
    expect((await settled(alice, paths.import('acme', created.id))).status).toBe('SUBMITTED');

    // the listing index is brought up to date just after import.json is written: allow it a moment
    const submitted = (samples: Sample[]) => sampleValue(samples, 'toa_imports', { domain: 'acme', status: 'SUBMITTED' });
    let after = await scrape(server);
    for (let attempt = 0; attempt < 100 && submitted(after) === submitted(before); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await scrape(server);
    }
    const moved = (name: string, labels: Record<string, string> = {}) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(moved('toa_imports', { domain: 'acme', status: 'SUBMITTED' })).toBe(1);
    expect(moved('toa_index_entries', { domain: 'acme' })).toBe(1);
    expect(moved('toa_upload_bytes_total')).toBe(bytes.length);
    expect(moved('toa_stored_page_bytes', { domain: 'acme' })).toBe(bytes.length);
    expect(moved('toa_archive_calls_total', { domain: 'acme', outcome: 'ok' })).toBe(1);
    expect(moved('toa_archive_call_duration_seconds_count', { domain: 'acme', outcome: 'ok' })).toBe(1);
    const pages = { method: 'POST', route: '/api/import/:domain/:id/documents/:n/pages', status: '201' };
    expect(moved('toa_http_requests_total', pages)).toBe(1);
    expect(moved('toa_http_request_duration_seconds_count', pages)).toBe(1);
    expect(moved('toa_http_requests_total', { method: 'POST', route: '/api/import/:domain', status: '201' })).toBe(1);
    // the scrape before this one was counted too, under its own pattern
    expect(sampleValue(after, 'toa_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(1);
  });

  it('counts the load balancer’s probe (answered before the app) and a probe with credentials under the health route', async () => {
    const health = { method: 'GET', route: '/api/health', status: '200' };
    const before = sampleValue(await scrape(server), 'toa_http_requests_total', health);
    expect((await fetch(`${server.url}${paths.health()}`)).status).toBe(200);
    expect((await fetch(`${server.url}${paths.health()}?probe=ready`)).status).toBe(200);
    expect((await server.as('alice@acme.example')(paths.health())).status).toBe(200);
    // an answer is counted when it closes, a moment after the client has it
    let counted = 0;
    for (let attempt = 0; attempt < 100 && counted < 3; attempt += 1) {
      counted = sampleValue(await scrape(server), 'toa_http_requests_total', health) - before;
      if (counted < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(counted).toBe(3);
  });

  it('keeps the label values to route patterns under a flood of traversal-style URLs', async () => {
    const paths = Array.from({ length: 200 }, (_, i) => {
      const noise = `${i}-${Math.random().toString(36).slice(2)}`;
      return [`/api/import/acme/../../../etc/passwd-${noise}`, `/api/import/${noise}/..%2f..%2f/documents/1/pages/1`, `/..%2f..%2f${noise}`, `/api/${noise}`][
        i % 4
      ] as string;
    });
    for (const pathname of paths) expect(await rawGet(server, pathname)).toBeGreaterThanOrEqual(400);

    const samples = await scrape(server);
    const routes = new Set(samples.filter((s) => s.name === 'toa_http_requests_total').map((s) => s.labels.route));
    for (const route of routes) expect(route).toMatch(/^(\/api(\/[a-z]+|\/:[a-z]+)*|\/metrics|unmatched|pane)$/i);
    const series = samples.filter((s) => s.name === 'toa_http_requests_total');
    expect(series.length).toBeLessThan(30);
    expect(JSON.stringify(samples.map((s) => s.labels))).not.toMatch(/passwd|%2f|\.\./i);
  });
});

describe('GET /metrics with an allow-list only', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.dispose();
  });

  it('names the node of a cluster in toa_node_info', async () => {
    const node = await startTestServer({
      overrides: {
        metrics: { allow: ['127.0.0.1'] },
        cluster: { self: 'toa-1', nodes: [{ name: 'toa-1', url: 'http://127.0.0.1:3101', domains: ['acme'] }] },
      },
    });
    servers.push(node);
    const samples = parseExposition(await (await fetch(`${node.url}/metrics`)).text());
    expect(samples.filter((s) => s.name === 'toa_node_info').map((s) => s.labels.node)).toEqual(['toa-1']);
  });

  it('serves a listed address without a token, and refuses every other address', async () => {
    const open = await startTestServer({ overrides: { metrics: { allow: ['127.0.0.0/8'] } } });
    servers.push(open);
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);

    const elsewhere = await startTestServer({ overrides: { metrics: { allow: ['10.0.0.0/8', 'fd00::/8'] } } });
    servers.push(elsewhere);
    const response = await fetch(`${elsewhere.url}/metrics`);
    expect(response.status).toBe(403);
    expect(problemSchema.parse(await response.json()).code).toBe('FORBIDDEN');
  });
});
