import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { nginxMainConfig, startNginx as startNginxOn } from '@toa/fixtures/nginx';
import { freePort } from '@toa/fixtures/ports';
import type { Certificate } from './tls.js';

/** The site the release ships and docs/deployment.md shows. */
export const siteFile = path.resolve(import.meta.dirname, '..', '..', 'share', 'nginx', 'toa.conf');

export interface Nginx {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** GET or POST through nginx over TLS, trusting the walk's certificate */
  fetch(
    pathname: string,
    init?: { method?: string; headers?: Record<string, string>; body?: Buffer },
  ): Promise<{ status: number; headers: Headers; body: string }>;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground with the shipped site, changed only where a
 * test host must differ: it listens on a free loopback port instead of 443,
 * uses the walk's certificate, and proxies to the server's port instead of 3100.
 */
export async function startNginx(dir: string, certificate: Certificate, upstream: string): Promise<Nginx> {
  const port = await freePort();
  const upstreamUrl = new URL(upstream);
  const site = (await readFile(siteFile, 'utf8'))
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${certificate.certFile};`)
    .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${certificate.keyFile};`)
    .replace('proxy_pass http://127.0.0.1:3100;', `proxy_pass http://127.0.0.1:${upstreamUrl.port};`);
  if (!site.includes(`127.0.0.1:${port} ssl`) || !site.includes(`127.0.0.1:${upstreamUrl.port};`))
    throw new Error(`${siteFile} no longer has the lines the walk adapts`);
  const prefix = path.join(dir, 'nginx');
  await mkdir(prefix, { recursive: true });
  await writeFile(path.join(prefix, 'toa.conf'), site);
  const running = await startNginxOn(prefix, await nginxMainConfig(prefix, path.join(prefix, 'toa.conf')), port);
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    fetch: (pathname, init = {}) =>
      new Promise((resolve, reject) => {
        const req = request(`${url}${pathname}`, { method: init.method ?? 'GET', headers: init.headers, ca: certificate.pem }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
            resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        });
        req.on('error', reject);
        req.end(init.body);
      }),
    stop: running.stop,
  };
}
