import net from 'node:net';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { report } from './support.js';

/**
 * The server's header deadline is fixed at 30 s in src/server.ts and Node
 * checks it every 30 s, so this takes up to a minute: it runs only with
 * TOA_HOSTILE_SLOW=1.
 */
const SLOW = process.env.TOA_HOSTILE_SLOW === '1';

let server: TestServer;
beforeAll(async () => {
  if (SLOW) server = await startTestServer();
});
afterAll(() => server?.dispose());

describe.runIf(SLOW)('slow-loris', () => {
  it('closes a connection whose headers trickle in, and keeps serving others', async () => {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    const started = performance.now();
    const head = `GET ${paths.health()} HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: a\r\n'.repeat(1000)}`;
    let sent = 0;
    // one byte a second: every byte is well within any idle timeout, the headers never end
    const drip = setInterval(() => {
      if (sent < head.length) socket.write(head[sent++] as string);
    }, 1000);
    const answer = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    clearInterval(drip);
    const closedAfterMs = Math.round(performance.now() - started);
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect((await fetch(`${server.url}${paths.health()}`)).status).toBe(200);
    report('slow-loris', [{ bytesSent: sent, closedAfterMs, answer: answer.split('\r\n')[0] || '(closed without an answer)' }]);
  }, 120_000);
});
