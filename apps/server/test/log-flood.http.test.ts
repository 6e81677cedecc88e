import { Writable } from 'node:stream';
import { paths } from '@toa/api/routes';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from './hostile/support.js';
import { startTestServer, type TestServer } from './support/server.js';

const REFUSED_PER_MINUTE = 30;
const FLOOD = 300;
const URL_LENGTH = 10_000;

let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  server = await startTestServer({ logger: pino({ level: 'info' }, sink), overrides: { limits: { refusedPerMinute: REFUSED_PER_MINUTE } } });
});
afterAll(() => server.dispose());

/** A request from `address` as the documented reverse proxy on loopback forwards it. */
function from(address: string, pathname: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${pathname}`, { headers: { 'X-Forwarded-For': address, ...headers } });
}

describe('a flood of refused requests from one address', () => {
  it('is throttled before authentication, logged by sample with capped URLs, and costs an honest user nothing', async () => {
    const attacker = '203.0.113.7';
    const honest = { 'X-TOA-User-Email': 'alice@acme.example' };
    const longPath = `${paths.domains()}?q=${'a'.repeat(URL_LENGTH)}`;
    const before = logLines.length;
    const statuses = new Map<number, number>();
    const honestStatuses: number[] = [];
    for (let i = 0; i < FLOOD; i += 1) {
      const refused = await from(attacker, longPath);
      await refused.arrayBuffer();
      statuses.set(refused.status, (statuses.get(refused.status) ?? 0) + 1);
      if (i % 30 === 0) honestStatuses.push((await from('198.51.100.2', paths.domains(), honest)).status);
    }
    const written = logLines.slice(before);
    const bytes = written.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
    const longest = Math.max(...written.map((line) => Buffer.byteLength(line)));
    report('refused-request flood (dev identity, no identity header, 10 kB URL)', [
      {
        requests: FLOOD,
        'answered 401': statuses.get(401) ?? 0,
        'answered 429': statuses.get(429) ?? 0,
        logLines: written.length,
        logBytes: bytes,
        bytesPerRefusedRequest: Math.round(bytes / FLOOD),
        longestLine: longest,
      },
    ]);

    expect(statuses.get(401)).toBe(REFUSED_PER_MINUTE);
    expect(statuses.get(429)).toBe(FLOOD - REFUSED_PER_MINUTE);
    expect(honestStatuses.every((status) => status === 200)).toBe(true);
    // a URL reaches the log capped at a few hundred characters
    expect(longest).toBeLessThan(1500);
    expect(written.some((line) => line.includes('a'.repeat(301)))).toBe(false);
    // ten refusals from the address are logged in full (two lines each), the rest only counted, plus the honest requests
    const fromAttacker = written.filter((line) => line.includes('"statusCode":401') || line.includes('"statusCode":429') || line.includes('request refused'));
    expect(fromAttacker.length).toBeLessThanOrEqual(20);
  });

  it('answers the throttled address with RateLimit headers and Retry-After', async () => {
    const address = '203.0.113.8';
    for (let i = 0; i < REFUSED_PER_MINUTE; i += 1) expect((await from(address, paths.me())).status).toBe(401);
    const throttled = await from(address, paths.me(), { 'X-TOA-User-Email': 'alice@acme.example' });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(throttled.headers.get('ratelimit-policy')).toContain('"refused-per-address"');
    expect(((await throttled.json()) as { code: string }).code).toBe('RATE_LIMITED');
  });

  it('does not count an address’s successful requests', async () => {
    const address = '203.0.113.9';
    for (let i = 0; i < REFUSED_PER_MINUTE * 2; i += 1) {
      expect((await from(address, paths.me(), { 'X-TOA-User-Email': 'bob@acme.example' })).status).toBe(200);
    }
    expect((await from(address, paths.me())).status).toBe(401);
  });
});
