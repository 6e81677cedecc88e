import { exportJWK, generateKeyPair } from 'jose';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSchema } from '@toa/api/imports';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

/** The directives of a Content-Security-Policy header, by name. */
function csp(response: Response): Map<string, string[]> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = '', ...values]) => [name, values]),
  );
}

const OUTLOOK_HOSTS = [
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://outlook.live.com',
  'https://*.outlook.com',
  'https://*.office.com',
  'https://*.office365.com',
  'https://*.microsoft.com',
  'https://*.cloud.microsoft',
];

let taskpaneDir: string;
let server: TestServer;

beforeAll(async () => {
  taskpaneDir = await mkdtemp(path.join(os.tmpdir(), 'toa-taskpane-'));
  await mkdir(path.join(taskpaneDir, 'assets'));
  await writeFile(path.join(taskpaneDir, 'taskpane.html'), '<!doctype html><title>TOA</title><div id="root"></div>');
  await writeFile(path.join(taskpaneDir, 'assets', 'main.js'), 'console.log("TOA");');
  server = await startTestServer({ overrides: { taskpaneDir } });
});
afterAll(async () => {
  await server?.dispose();
  await rm(taskpaneDir, { recursive: true, force: true });
});

describe('security headers on API responses', () => {
  it.each([
    ['health, before auth', () => fetch(`${server.url}${paths.health()}`), 200],
    ['an identified call', () => server.as('alice@acme.example')(paths.me()), 200],
    ['a refusal', () => fetch(`${server.url}${paths.me()}`), 401],
    ['an unknown route', () => server.as('alice@acme.example')('/api/nowhere'), 404],
    ['a listing', () => server.as('alice@acme.example')(paths.imports('acme')), 200],
  ])('%s', async (_case, request, status) => {
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    const policy = csp(response);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    // plain http outside production: HSTS would only pin a name to TLS that the test server does not have
    expect(response.headers.get('strict-transport-security')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
    // what acts only on an HTML document is left to the task pane's answers
    for (const documentOnly of [
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
      'origin-agent-cluster',
    ]) {
      expect(response.headers.get(documentOnly)).toBeNull();
    }
  });
});

describe('page downloads', () => {
  it('are sandboxed attachments that are never sniffed', async () => {
    const alice = server.as('alice@acme.example');
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    const html = new TextEncoder().encode('<script>alert(document.domain)</script>');
    expect((await alice(paths.pages('acme', created.id, 1), upload(html, 'page.html', 'text/html'))).status).toBe(201);
    const response = await alice(paths.page('acme', created.id, 1, 1));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const policy = csp(response);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.has('sandbox')).toBe(true);
  });
});

describe('security headers on the task pane', () => {
  it.each(['/taskpane.html', '/assets/main.js'])('%s may be framed by Outlook and nothing else', async (pathname) => {
    const response = await fetch(`${server.url}${pathname}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-frame-options')).toBeNull();
    const policy = csp(response);
    expect(policy.get('frame-ancestors')).toEqual(["'self'", ...OUTLOOK_HOSTS]);
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('script-src')).toEqual(["'self'", 'https://appsforoffice.microsoft.com']);
    expect(policy.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(response.headers.get('x-dns-prefetch-control')).toBe('off');
    expect(response.headers.get('origin-agent-cluster')).toBe('?1');
  });
});

describe('security headers in production', () => {
  it('adds HSTS to the API and the task pane, and upgrades the pane’s requests', async () => {
    // production refuses dev identity, and checks at start that the jwt key set can be fetched: the
    // server's fetch answers that one URL with a real key set, so that the test reaches nothing outside
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const jwksUrl = 'https://login.microsoftonline.com/common/discovery/v2.0/keys';
    const publicKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const keySetOnly: typeof fetch = async (input) =>
      String(input) === jwksUrl
        ? Response.json({ keys: [{ ...publicKey, kid: 'k1', alg: 'RS256', use: 'sig' }] })
        : Promise.reject(new Error(`no network in tests: ${String(input)}`));
    const production = await startTestServer({
      fetch: keySetOnly,
      overrides: {
        production: true,
        taskpaneDir,
        auth: {
          mode: 'jwt',
          jwksUrl,
          issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
          audience: 'api://toa.example',
          tenants: [tenant],
        },
      },
    });
    try {
      for (const pathname of [paths.health(), '/taskpane.html']) {
        const response = await fetch(`${production.url}${pathname}`);
        expect(response.headers.get('strict-transport-security'), pathname).toBe('max-age=31536000');
      }
      expect(csp(await fetch(`${production.url}/taskpane.html`)).has('upgrade-insecure-requests')).toBe(true);
    } finally {
      await production.dispose();
    }
  });
});
