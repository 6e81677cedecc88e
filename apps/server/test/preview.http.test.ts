import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { startTestServer, type TestServer } from './support/server.js';

/** The built pane's page as Vite writes it: office.js from Microsoft's CDN, then the app's module. */
const PANE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>TOA — file to archive</title>
    <script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>
    <script type="module" crossorigin src="./assets/index-abc.js"></script>
  </head>
  <body><div id="root"></div></body>
</html>
`;
const PREVIEW_FILES = ['/preview/', '/preview/index.html', '/preview/office-stand-in.js', '/preview/mailbox/mailbox.json', '/preview/taskpane.html'];

let dir: string;
let taskpaneDir: string;
let previewDir: string;
let keySet: Server;
let jwksUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-preview-'));
  taskpaneDir = path.join(dir, 'dist');
  previewDir = path.join(dir, 'dist-preview');
  await mkdir(path.join(taskpaneDir, 'assets'), { recursive: true });
  await writeFile(path.join(taskpaneDir, 'taskpane.html'), PANE_PAGE);
  await writeFile(path.join(taskpaneDir, 'assets', 'index-abc.js'), 'console.log("pane")');
  await mkdir(path.join(previewDir, 'mailbox'), { recursive: true });
  await writeFile(path.join(previewDir, 'index.html'), '<!doctype html><title>TOA — browser preview</title>');
  await writeFile(path.join(previewDir, 'office-stand-in.js'), 'window.Office = {};');
  await writeFile(path.join(previewDir, 'mailbox', 'mailbox.json'), '{"messages":[]}');
  // a jwt server only fetches its key set on the first token; this one is on loopback anyway
  keySet = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"keys":[]}'));
  await new Promise<void>((resolve) => keySet.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(keySet.address() as AddressInfo).port}/keys`;
});
afterAll(async () => {
  await new Promise((resolve) => keySet.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function start(overrides: Partial<ConfigInput> = {}, serverFetch?: typeof fetch): Promise<TestServer> {
  return startTestServer({
    overrides: { taskpaneDir, ...overrides },
    adjust: (config) => ({ ...config, previewDir }),
    ...(serverFetch ? { fetch: serverFetch } : {}),
  });
}

/** The server's fetch, answering only `url`, with a real key set: production checks at start that its key set can be fetched. */
async function keySetAt(url: string): Promise<typeof fetch> {
  const publicKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
  return async (input) =>
    String(input) === url
      ? Response.json({ keys: [{ ...publicKey, kid: 'k1', alg: 'RS256', use: 'sig' }] })
      : Promise.reject(new Error(`no network in tests: ${String(input)}`));
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const jwt = (url: string) => ({
  mode: 'jwt' as const,
  jwksUrl: url,
  issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
  audience: 'api://toa.example',
  tenants: [TENANT],
});

describe('the browser preview in dev identity', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(() => server.dispose());

  it('leads from / to the sample mailbox page', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('preview/');
    const page = await fetch(`${server.url}/`);
    expect(page.url).toBe(`${server.url}/preview/`);
    expect(await page.text()).toContain('<title>TOA — browser preview</title>');
    expect((await fetch(`${server.url}/preview/office-stand-in.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/preview/mailbox/mailbox.json`)).status).toBe(200);
  });

  it('frames the built pane with the Office stand-in where office.js was, its assets from the root', async () => {
    const response = await fetch(`${server.url}/preview/taskpane.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    // the pane's own security headers: framed by its own origin (and Outlook), office.js's origin allowed
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'/);
    const page = await response.text();
    expect(page).not.toContain('appsforoffice.microsoft.com');
    expect(page).toContain('<script src="preview/office-stand-in.js"></script>');
    expect(page).toMatch(/<head>\s*<base href="\.\.\/" \/>/);
    expect(page).toContain('<script type="module" crossorigin src="./assets/index-abc.js"></script>');
    // the pane as Outlook loads it is untouched
    expect(await (await fetch(`${server.url}/taskpane.html`)).text()).toBe(PANE_PAGE);
  });
});

describe('no preview outside a developer machine', () => {
  const productionKeys = 'https://login.microsoftonline.com/common/discovery/v2.0/keys';
  it.each([
    ['jwt identity', async () => start({ auth: jwt(jwksUrl) })],
    // production refuses dev identity; its key set must be https
    ['production', async () => start({ production: true, auth: jwt(productionKeys) }, await keySetAt(productionKeys))],
  ])('%s: / and every preview file answer 404, the pane is served as usual', async (_name, startServer) => {
    const server = await startServer();
    try {
      expect((await fetch(`${server.url}/`, { redirect: 'manual' })).status).toBe(404);
      for (const pathname of PREVIEW_FILES) expect((await fetch(`${server.url}${pathname}`)).status, pathname).toBe(404);
      expect((await fetch(`${server.url}/taskpane.html`)).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});
