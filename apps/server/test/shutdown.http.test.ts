import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { paths } from '@toa/api/routes';
import { afterEach, describe, expect, it } from 'vitest';
import { base64Body, binaryContent, render } from './fixtures/mail/messages.js';
import { corpusDir } from './support/corpus.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

const started: TestServer[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.dispose();
});

/** One GET over a keep-alive agent: its status (0 when the connection failed). */
function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('graceful shutdown', () => {
  it('ends within its deadline while keep-alive clients (a proxy) keep sending requests', async () => {
    const server = await startTestServer();
    started.push(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let sending = true;
    const answers: number[] = [];
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
    expect(answers.length).toBeGreaterThan(20);
  }, 30_000);

  it('stops its mail parse workers: no parser thread outlives close()', async () => {
    // the threads of this process, as the kernel counts them (a worker is one)
    const threads = async () => (await readdir('/proc/self/task')).length;
    const server = await startTestServer();
    started.push(server);
    const alice = server.as('alice@acme.example');
    const created = (await (await alice(paths.imports('acme'), json('POST', {}))).json()) as { id: string };
    const before = await threads();
    const eml = await readFile(path.join(corpusDir, 'mikel-mail', 'attachment_emails', 'attachment_pdf.eml'));
    expect((await alice(paths.pages('acme', created.id, 1), upload(eml, 'message.eml', 'message/rfc822'))).status).toBe(201);
    // the message was parsed on a worker, which stays for the next one
    expect(await threads()).toBeGreaterThan(before);

    await server.close();
    expect(await threads()).toBeLessThanOrEqual(before);
  }, 30_000);

  it('waits for an extraction whose caller went away: nothing changes after close(), and no temporary is left', async () => {
    const server = await startTestServer();
    started.push(server);
    const alice = server.as('alice@acme.example');
    const created = (await (await alice(paths.imports('acme'), json('POST', {}))).json()) as { id: string };
    // eight attachments of 1.5 MB: an extraction that takes a while
    const eml = render(
      {
        headers: ['From: ann@example.com', 'Subject: Scans', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"'],
        boundary: 'b',
        parts: Array.from({ length: 8 }, (_, i) => ({
          headers: ['Content-Type: application/pdf', `Content-Disposition: attachment; filename="scan-${i + 1}.pdf"`, 'Content-Transfer-Encoding: base64'],
          body: base64Body(binaryContent(1_500_000, i)),
        })),
      },
      '\r\n',
    );
    expect((await alice(paths.pages('acme', created.id, 1), upload(Buffer.from(eml), 'scans.eml', 'message/rfc822'))).status).toBe(201);

    const importDir = path.join(server.dataRoot, 'acme', ...created.id.split('_'));
    const leaving = new AbortController();
    const extracting = alice(paths.extract('acme', created.id, 1, 1), { ...json('POST', {}), signal: leaving.signal }).catch(() => undefined);
    // the caller goes once the extraction is under way: its staging folder is there
    while (!(await readdir(importDir)).some((name) => name.startsWith('.doc-2.'))) await sleep(5);
    leaving.abort();
    await extracting;
    await server.close();

    const after = (await readdir(importDir, { recursive: true })).sort();
    expect(after.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // close() waited for it to finish: the import lists the new document
    const stored = JSON.parse(await readFile(path.join(importDir, 'import.json'), 'utf8')) as { documents: Array<{ n: number }> };
    expect(stored.documents.map((d) => d.n)).toEqual([1, 2]);
    await sleep(500);
    expect((await readdir(importDir, { recursive: true })).sort()).toEqual(after);
  });
});
