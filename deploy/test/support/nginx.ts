import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer, type AddressInfo, connect } from 'node:net';
import path from 'node:path';
import type { Certificate } from './tls.js';

/** The site the release ships and docs/deployment.md shows. */
export const siteFile = path.resolve(import.meta.dirname, '..', '..', 'share', 'nginx', 'toa.conf');

/** Debian's nginx: on PATH for root, in /usr/sbin for everyone. */
export function nginxBinary(): string {
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

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
  await writeFile(
    path.join(prefix, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${prefix}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${prefix}/${kind}_temp;`),
      `  include ${prefix}/toa.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(nginxBinary(), ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; ; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || attempt > 100) throw new Error(`nginx did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
