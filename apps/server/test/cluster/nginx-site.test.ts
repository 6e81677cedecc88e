import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { DOMAIN_SCOPED_PREFIXES, ROUTES } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxSite } from '../../src/cluster/nginx-site.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { nginxCheck, nginxMainConfig, startNginx } from '@toa/fixtures/nginx';
import { freePort } from '@toa/fixtures/ports';

let dir: string;
let config: Config;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-nginx-site-'));
  const domain = (code: string) => ({ code, name: code, templates: { file: './c.xml' }, archive: { type: 'filesystem', root: `./archive/${code}` } });
  await writeFile(
    path.join(dir, 'toa.json'),
    JSON.stringify({
      timeZone: 'Europe/Prague',
      limits: { pageSizeMb: 250, bodyIdleSeconds: 40, parseWaitSeconds: 20, parseTimeoutSeconds: 10 },
      domains: ['acme', 'globex', 'initech', 'umbrella'].map(domain),
      cluster: {
        self: 'toa-1',
        nodes: [
          { name: 'toa-1', url: 'http://127.0.0.1:3101', domains: ['acme', 'globex'] },
          { name: 'toa-2', url: 'http://127.0.0.1:3102', domains: ['initech'] },
          { name: 'toa-3', url: 'http://127.0.0.1:3103', domains: ['umbrella'] },
        ],
      },
    }),
  );
  config = loadConfig({ file: path.join(dir, 'toa.json'), env: {} });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the nginx site of a cluster', () => {
  it('covers every domain-scoped route of the API, and only those', () => {
    const scoped = Object.values(ROUTES).filter((route) => route.includes(':domain'));
    for (const route of scoped)
      expect(
        DOMAIN_SCOPED_PREFIXES.some((prefix) => route.startsWith(`/${prefix}/:domain`)),
        route,
      ).toBe(true);
    expect([...DOMAIN_SCOPED_PREFIXES].sort()).toEqual(['admin', 'domains', 'import']);
  });

  it('sends each domain to its owner, the rest to any node, with the limits of the configuration', () => {
    const site = nginxSite(config.cluster!, config.limits, { listen: '127.0.0.1:8080', serverName: '_', source: 'toa.json' });
    expect(site).toContain('~^/api/(?:domains|import|admin)/acme(?:/|$) toa_node_toa_1;');
    expect(site).toContain('~^/api/(?:domains|import|admin)/initech(?:/|$) toa_node_toa_2;');
    expect(site).toContain('~^/api/(?:domains|import|admin)/umbrella(?:/|$) toa_node_toa_3;');
    expect(site).toMatch(/upstream toa_any_node \{\n {2}server 127\.0\.0\.1:3101 [^\n]*\n {2}server 127\.0\.0\.1:3102 [^\n]*\n {2}server 127\.0\.0\.1:3103 /);
    expect(site).toContain('client_max_body_size 260m;');
    expect(site).toContain('client_body_timeout 45s;');
    expect(site).toContain('proxy_read_timeout 60s;');
    expect(site).toContain('proxy_request_buffering off;');
  });

  it("answers what nginx answers itself with JSON problems in the API's shape", () => {
    const site = nginxSite(config.cluster!, config.limits, { listen: '127.0.0.1:8080', serverName: '_', source: 'toa.json' });
    const bodies = [...site.matchAll(/return (\d{3}) '(.*)';/g)].map(([, status, body]) => ({ status: Number(status), body: body as string }));
    expect(bodies.map((b) => b.status)).toEqual([404, 502, 504, 413]);
    for (const { status, body } of bodies) {
      const parsed = problemSchema.parse(JSON.parse(body.replaceAll('$toa_node', 'toa-2').replaceAll('$toa_instance', ',"instance":"/api/me"')));
      expect(parsed.status).toBe(status);
      expect(parsed.instance).toBe('/api/me');
    }
    expect(site).toMatch(/location @toa_node_down \{\n\s+default_type application\/problem\+json;\n\s+add_header Retry-After \d+ always;/);
  });

  it('passes nginx -t', async () => {
    const site = path.join(dir, 'toa-cluster.conf');
    await writeFile(site, nginxSite(config.cluster!, config.limits, { listen: '127.0.0.1:8080', serverName: 'toa.example.org', source: 'toa.json' }));
    const prefix = path.join(dir, 'nginx');
    expect(await nginxCheck(prefix, await nginxMainConfig(prefix, site))).toMatch(/syntax is ok[\s\S]*test is successful/);
  });

  it('keeps connections to a node open between requests (HTTP/1.1, no "Connection: close" passed on)', async () => {
    // the node here is a bare HTTP server that counts its connections: what is tested is what nginx does with the site
    const seen: Array<{ version: string; connection: string | undefined }> = [];
    let connections = 0;
    const node = createServer((req, res) => {
      seen.push({ version: req.httpVersion, connection: req.headers.connection });
      res.setHeader('Content-Type', 'application/json');
      res.end('{}');
    });
    node.on('connection', () => {
      connections += 1;
    });
    node.keepAliveTimeout = 5_000;
    const nodePort = await freePort();
    await new Promise<void>((resolve) => node.listen(nodePort, '127.0.0.1', resolve));
    const port = await freePort();
    const prefix = path.join(dir, 'nginx-keepalive');
    const site = path.join(dir, 'keepalive.conf');
    const cluster = { ...config.cluster!, nodes: config.cluster!.nodes.map((n) => ({ ...n, url: `http://127.0.0.1:${nodePort}` })) };
    await writeFile(site, nginxSite(cluster, config.limits, { listen: `127.0.0.1:${port}`, serverName: '_', source: 'toa.json' }));
    const nginx = await startNginx(prefix, await nginxMainConfig(prefix, site), port);
    try {
      const requests = 10;
      for (let i = 0; i < requests; i += 1) {
        // each client request on a connection of its own, closed after it: only nginx may keep the node's connection
        const answer = await fetch(`http://127.0.0.1:${port}/api/import/${i % 2 ? 'acme' : 'initech'}`, { headers: { Connection: 'close' } });
        expect(answer.status).toBe(200);
      }
      expect(seen).toHaveLength(10);
      expect(seen.every((request) => request.version === '1.1' && request.connection === undefined)).toBe(true);
      // at most one connection per upstream (two nodes here, both this server), not one per request
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      await nginx.stop();
      await new Promise((resolve) => node.close(resolve));
    }
  });

  it('never passes /metrics to a node: users behind the front must not reach what metrics.allow admits', async () => {
    // a node on another host sees nginx's address for every user; the front answers /metrics itself
    const seen: string[] = [];
    const node = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('Content-Type', 'text/plain');
      res.end('toa_node_info{node="toa-1"} 1\n');
    });
    const nodePort = await freePort();
    await new Promise<void>((resolve) => node.listen(nodePort, '127.0.0.1', resolve));
    const port = await freePort();
    const prefix = path.join(dir, 'nginx-metrics');
    const site = path.join(dir, 'metrics.conf');
    const cluster = { ...config.cluster!, nodes: config.cluster!.nodes.map((n) => ({ ...n, url: `http://127.0.0.1:${nodePort}` })) };
    await writeFile(site, nginxSite(cluster, config.limits, { listen: `127.0.0.1:${port}`, serverName: '_', source: 'toa.json' }));
    const nginx = await startNginx(prefix, await nginxMainConfig(prefix, site), port);
    try {
      for (const url of ['/metrics', '/metrics?x=1']) {
        const answer = await fetch(`http://127.0.0.1:${port}${url}`);
        expect(answer.status, url).toBe(404);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        // RFC 9457 §3.1.5: the occurrence, the URI the client asked for
        expect(problemSchema.parse(await answer.json())).toMatchObject({ code: 'NOT_FOUND', instance: url });
      }
      // a URI with characters JSON would need escaped, sent raw (nginx accepts them): still one valid problem, without instance
      for (const [target, instance] of [
        ['/metrics?q="},"status":200,"x":"', undefined],
        ['/metrics?q=\\"', undefined],
        ['/metrics?q=%22%5C', '/metrics?q=%22%5C'],
      ] as const) {
        const { status, body } = await rawGet(port, target);
        expect(status, target).toBe(404);
        const parsed = problemSchema.parse(JSON.parse(body));
        expect(parsed.status, target).toBe(404);
        expect(parsed.instance, target).toBe(instance);
      }
      // the rest still reaches the nodes
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
      expect(seen).toEqual(['/api/health']);
    } finally {
      await nginx.stop();
      await new Promise((resolve) => node.close(resolve));
    }
  });

  it('names the request in the problem it answers for a node that is down (instance, RFC 9457)', async () => {
    // every node on a port nothing listens on: each request is nginx's own 502
    const down = await freePort();
    const port = await freePort();
    const prefix = path.join(dir, 'nginx-down');
    const site = path.join(dir, 'down.conf');
    const cluster = { ...config.cluster!, nodes: config.cluster!.nodes.map((n) => ({ ...n, url: `http://127.0.0.1:${down}` })) };
    await writeFile(site, nginxSite(cluster, config.limits, { listen: `127.0.0.1:${port}`, serverName: '_', source: 'toa.json' }));
    const nginx = await startNginx(prefix, await nginxMainConfig(prefix, site), port);
    try {
      for (const [pathname, node] of [
        ['/api/import/initech/2026-11-21_0943-00000000/submit?attempt=2', 'toa-2'],
        ['/api/me', 'any node'],
      ] as const) {
        const answer = await fetch(`http://127.0.0.1:${port}${pathname}`, { method: 'POST' });
        expect(answer.status).toBe(502);
        expect(problemSchema.parse(await answer.json())).toMatchObject({
          code: 'NODE_UNAVAILABLE',
          detail: expect.stringContaining(`(${node})`),
          instance: pathname,
        });
      }
    } finally {
      await nginx.stop();
    }
  });

  it('refuses ssl without a certificate', () => {
    expect(() => nginxSite(config.cluster!, config.limits, { listen: '443 ssl', serverName: '_', source: 'toa.json' })).toThrow(
      'needs --certificate and --certificate-key',
    );
  });
});

/** A GET whose request target is sent exactly as given (fetch would percent-encode it): the status and body nginx answers. */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
  });
}
