import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemSchema } from '@toa/api/errors';
import { paths } from '@toa/api/routes';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../src/http/loopback-host.js';
import { identityLines, rawRequest, report } from './hostile/support.js';
import { startTestServer, type TestServer } from './support/server.js';

/** A request head with exactly the given Host line (or none), as a rebound browser page or a bare client sends it. */
function headWithHost(pathname: string, host: string | undefined, extra: readonly string[] = [], version = '1.1'): string {
  return [`GET ${pathname} HTTP/${version}`, ...(host === undefined ? [] : [`Host: ${host}`]), 'Connection: close', ...extra, '', ''].join('\r\n');
}

function answerBody(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

describe('dev identity answers only to loopback host names (DNS rebinding)', () => {
  let server: TestServer;
  let port: string;

  beforeAll(async () => {
    server = await startTestServer();
    port = new URL(server.url).port;
  });
  afterAll(() => server.dispose());

  const routes = () => [paths.health(), paths.domains(), paths.imports('acme'), '/taskpane.html'];

  it('refuses a rebound name on every route with 421 HOST_NOT_ALLOWED, forwarded headers notwithstanding', async () => {
    const hosts = [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost.:${port}`,
      `10.0.0.1:${port}`,
      `0.0.0.0:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::2]:${port}`,
      `localhost:${port}@evil.example`,
      '',
    ];
    const rows: Array<Record<string, string | number>> = [];
    for (const host of hosts) {
      for (const pathname of routes()) {
        const answer = await rawRequest(
          server.url,
          headWithHost(pathname, host, [...identityLines('alice@acme.example'), 'X-Forwarded-Host: localhost', `Forwarded: host=localhost:${port}`]),
        );
        expect(answer.status, `${host} ${pathname}`).toBe(421);
        expect(problemSchema.parse(answerBody(answer.text)).code).toBe('HOST_NOT_ALLOWED');
        // refused before any route, still an API answer: not sniffed, framed or kept
        expect(answer.text).toMatch(/^x-content-type-options: nosniff\r$/im);
        expect(answer.text).toMatch(/^cache-control: no-store\r$/im);
        expect(answer.text).toMatch(/^content-security-policy: default-src 'none'/im);
      }
      rows.push({ host: host || '(empty)', answer: 421 });
    }
    const bare = await rawRequest(server.url, headWithHost(paths.health(), undefined, [], '1.0'));
    expect(bare.status).toBe(421);
    report('Host headers refused in dev identity', rows);
  });

  it('serves localhost, 127.0.0.0/8 and [::1], with or without a port, in any case', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `localhost:${port}`,
      'localhost',
      `LocalHost:${port}`,
      `127.5.6.7:${port}`,
      `[::1]:${port}`,
      '[::1]',
    ]) {
      const health = await rawRequest(server.url, headWithHost(paths.health(), host));
      expect(health.status, host).toBe(200);
      const domains = await rawRequest(server.url, headWithHost(paths.domains(), host, identityLines('alice@acme.example')));
      expect(domains.status, host).toBe(200);
    }
    // what every client of 127.0.0.1 sends, the task pane and the tests' fetch included
    expect((await fetch(`${server.url}${paths.health()}`)).status).toBe(200);
  });
});

describe('jwt identity leaves host names to the reverse proxy', () => {
  it('serves a public host name', async () => {
    const tenant = randomUUID();
    // a key set the start-up check can fetch, so that health is ok
    const publicKey = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const keySet = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey, kid: 'k1' }] })),
    );
    await new Promise<void>((resolve) => keySet.listen(0, '127.0.0.1', resolve));
    const server = await startTestServer({
      overrides: {
        auth: {
          mode: 'jwt',
          jwksUrl: `http://127.0.0.1:${(keySet.address() as AddressInfo).port}/keys`,
          issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
          audience: 'api://toa.example.com/app',
          tenants: [tenant],
        },
      },
    });
    try {
      // served (the token is what is missing), not refused for its name
      const answer = await rawRequest(server.url, headWithHost(paths.me(), 'toa.example.com'));
      expect(answer.status).toBe(401);
      expect(problemSchema.parse(answerBody(answer.text)).code).toBe('UNAUTHENTICATED');
    } finally {
      await server.dispose();
      await new Promise((resolve) => keySet.close(resolve));
    }
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['localhost:3100', true],
    ['127.0.0.1:65535', true],
    ['127.255.255.254', true],
    ['127.1', true], // the URL parser spells it 127.0.0.1
    ['[::1]:3100', true],
    ['[0:0:0:0:0:0:0:1]', true],
    ['127.0.0.1:99999', false],
    ['128.0.0.1', false],
    ['localhost:3100:3100', false],
    ['local host', false],
    ['localhost/evil', false],
    ['localhost\\evil', false],
    [undefined, false],
  ])('%j → %j', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
