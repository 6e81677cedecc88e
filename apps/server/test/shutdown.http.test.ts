import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
});

/** One GET over a keep-alive agent: the status and the `Connection` header it came with (0 when the connection failed). */
function get(agent: Agent, url: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', () => resolve({ status: 0, connection: undefined }));
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('ends within its deadline while keep-alive clients (a proxy) keep sending requests', async () => {
    const server = await startTestServer();
    started.push(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let sending = true;
    const answers: Array<{ status: number; connection: string | undefined }> = [];
    const loops = Array.from({ length: 4 }, async () => {
      while (sending) answers.push(await get(agent, `${server.url}/api/health`));
    });
    while (answers.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));

    // the clients never stop by themselves: before the fix, close() waited for them until the 15 s deadline
    const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), 10_000).unref());
    const outcome = await Promise.race([server.close().then(() => 'closed' as const), deadline]);
    sending = false;
    await Promise.all(loops);
    agent.destroy();

    expect(outcome).toBe('closed');
    // the answers given while closing told the client not to reuse the connection
    expect(answers.some((answer) => answer.connection === 'close')).toBe(true);
  }, 30_000);
});
