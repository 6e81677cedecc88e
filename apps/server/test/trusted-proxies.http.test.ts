import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * A front (nginx, an ingress controller) on another host forwards the client's
 * address in `X-Forwarded-For`; the server believes it only from the proxies the
 * configuration names (`trustedProxies`) and from loopback. The client address
 * decides the metrics allow-list and the per-address limits, so a request is
 * sent here from loopback through a named front at 10.1.2.3 for a client at
 * 203.0.113.9 (RFC 7239 §5.2 order: client first, nearest proxy last).
 */
describe('trusted proxies', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  const scrape = (running: TestServer, forwardedFor: string) => fetch(`${running.url}/metrics`, { headers: { 'X-Forwarded-For': forwardedFor } });

  it('takes the client address a named front on another host forwards', async () => {
    server = await startTestServer({ overrides: { trustedProxies: ['10.0.0.0/8'], metrics: { allow: ['203.0.113.9'] } } });
    expect((await scrape(server, '203.0.113.9, 10.1.2.3')).status).toBe(200);
    // the front's own address is not the client's
    expect((await scrape(server, '10.1.2.3')).status).toBe(403);
  });

  it('does not believe what an unnamed host forwards', async () => {
    server = await startTestServer({ overrides: { metrics: { allow: ['203.0.113.9'] } } });
    expect((await scrape(server, '203.0.113.9, 10.1.2.3')).status).toBe(403);
  });

  it('refuses a trusted proxy that is not an address or range, naming the entry', async () => {
    await expect(startTestServer({ overrides: { trustedProxies: ['nginx.internal'] } })).rejects.toThrow(
      /trustedProxies\[0\]: must be an IP address or a CIDR range/,
    );
  });
});
