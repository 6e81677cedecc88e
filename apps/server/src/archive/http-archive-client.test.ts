import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import multer from 'multer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from './archive-client.js';
import { BACKOFF_BASE_MS } from './backoff.js';
import { ArchiveCallLog } from './call-log.js';
import { createArchiveClient } from './create-archive-client.js';
import type { HttpArchiveConfig } from './http-archive-client.js';
import { type UploadManifest, uploadManifestSchema } from './manifest.js';
import { DOMAIN, IMPORT_ID, samplePages, writeBatch } from '../../test/support/batch-fixture.js';

const TOKEN = 'tok-3b1f9c0e-never-logged';

/** What the archive does with one request. */
type Behaviour = { answer: number; body?: unknown; headers?: Record<string, string> } | { reset: true } | { hang: true };

interface Received {
  headers: IncomingHttpHeaders;
  query: unknown;
  manifest: UploadManifest;
  files: Map<string, { filename: string; contentType: string; bytes: Buffer }>;
}

/** A local archive: express + multer, behaving per attempt as the test says. */
class TestArchive {
  readonly received: Received[] = [];
  private attempts = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly behave: (attempt: number) => Behaviour) {}

  async start(): Promise<void> {
    const app = express();
    const upload = multer({ storage: multer.memoryStorage() }).any();
    app.post('/upload', (req, res, next) => {
      this.attempts += 1;
      const behaviour = this.behave(this.attempts);
      if ('reset' in behaviour) {
        req.socket.destroy();
        return;
      }
      upload(req, res, (error: unknown) => {
        if (error) return next(error);
        this.record(req);
        if ('answer' in behaviour) this.answer(res, behaviour);
      });
    });
    this.server = app.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/upload?apiKey=query-secret`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private record(req: Request): void {
    const files = new Map<string, { filename: string; contentType: string; bytes: Buffer }>();
    for (const file of req.files as Express.Multer.File[]) {
      files.set(file.fieldname, { filename: file.originalname, contentType: file.mimetype, bytes: file.buffer });
    }
    const body = req.body as Record<string, string>;
    this.received.push({
      headers: req.headers,
      query: req.query,
      manifest: uploadManifestSchema.parse(JSON.parse(body.manifest ?? 'null')),
      files,
    });
  }

  private answer(res: Response, behaviour: { answer: number; body?: unknown; headers?: Record<string, string> }): void {
    res.status(behaviour.answer).set(behaviour.headers ?? {});
    if (typeof behaviour.body === 'string') res.type('text/plain').send(behaviour.body);
    else if (behaviour.body !== undefined) res.json(behaviour.body);
    else res.end();
  }
}

let dir: string;
let callLog: ArchiveCallLog;
let archive: TestArchive;
let sleeps: number[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'toa-http-archive-'));
  callLog = new ArchiveCallLog(path.join(dir, 'logs'));
  sleeps = [];
});

afterEach(async () => {
  await archive.stop();
  await callLog.close();
  await rm(dir, { recursive: true, force: true });
});

async function startArchive(behave: (attempt: number) => Behaviour): Promise<void> {
  archive = new TestArchive(behave);
  await archive.start();
}

function client(overrides: Partial<HttpArchiveConfig> = {}, env: NodeJS.ProcessEnv = { ARCHIVE_TOKEN: TOKEN }) {
  const config: HttpArchiveConfig = {
    type: 'http',
    url: archive.url,
    targetDomain: 'b2',
    tokenEnv: 'ARCHIVE_TOKEN',
    timeoutMs: 5_000,
    retries: 2,
    ...overrides,
  };
  return createArchiveClient(DOMAIN, config, {
    callLog,
    env,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

async function submitFailure(overrides?: Partial<HttpArchiveConfig>, signal?: AbortSignal): Promise<ArchiveError> {
  const batch = await writeBatch(path.join(dir, 'import'), samplePages());
  const failure = await client(overrides)
    .submit(batch, signal)
    .catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ArchiveError);
  return failure as ArchiveError;
}

async function callLogText(): Promise<string> {
  await callLog.close();
  return readFile(path.join(dir, 'logs', 'archive-calls.log'), 'utf8');
}

async function callLogLines(): Promise<Record<string, unknown>[]> {
  return (await callLogText())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Back-off for retry `n`: between half and all of base·2^(n-1). */
function expectBackoff(delays: number[]): void {
  delays.forEach((ms, index) => {
    const ceiling = BACKOFF_BASE_MS * 2 ** index;
    expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
    expect(ms).toBeLessThanOrEqual(ceiling);
  });
}

describe('HttpArchiveClient', () => {
  it('posts the manifest and every page with the idempotency key and the bearer token', async () => {
    await startArchive(() => ({ answer: 201, body: { batchId: 'B-1001' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    expect(await client().submit(batch)).toEqual({ batchId: 'B-1001' });

    expect(archive.received).toHaveLength(1);
    const [request] = archive.received;
    expect(batch.idempotencyKey).toMatch(new RegExp(`^${IMPORT_ID}\\.[0-9a-f]{16}$`));
    expect(request?.headers['idempotency-key']).toBe(batch.idempotencyKey);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.manifest).toMatchObject({
      importId: IMPORT_ID,
      idempotencyKey: batch.idempotencyKey,
      domain: DOMAIN,
      targetDomain: 'b2',
      submitter: batch.submitter,
    });
    const pages = request?.manifest.documents.flatMap((document) => document.pages) ?? [];
    expect(pages.map((page) => page.file)).toEqual(['doc-1/page-1.eml', 'doc-2/page-1.pdf', 'doc-2/page-2.bin']);
    expect([...(request?.files.keys() ?? [])]).toEqual(pages.map((page) => page.file));
    const originals = batch.documents.flatMap((document) => document.pages);
    for (const [index, page] of pages.entries()) {
      const part = request?.files.get(page.file);
      const original = originals[index];
      expect(part?.bytes.equals(Buffer.from((await (await original?.bytes())?.arrayBuffer()) ?? new ArrayBuffer(0)))).toBe(true);
      expect(part?.filename).toBe(original?.filename);
      expect(part?.contentType).toBe(original?.contentType);
    }
    expect(await callLogLines()).toEqual([
      expect.objectContaining({
        domain: DOMAIN,
        importId: IMPORT_ID,
        idempotencyKey: batch.idempotencyKey,
        client: 'http',
        target: archive.url.replace(/\?.*$/, ''),
        attempt: 1,
        outcome: 'ok',
        status: 201,
        batchId: 'B-1001',
      }),
    ]);
  });

  it('retries after a 500 and takes the next answer', async () => {
    await startArchive((attempt) => (attempt === 1 ? { answer: 500 } : { answer: 200, body: { batchId: 'B-2' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    expect(await client().submit(batch)).toEqual({ batchId: 'B-2' });

    expect(archive.received.map((request) => request.headers['idempotency-key'])).toEqual([batch.idempotencyKey, batch.idempotencyKey]);
    expect(sleeps).toHaveLength(1);
    expectBackoff(sleeps);
    expect((await callLogLines()).map((line) => [line.attempt, line.outcome, line.status])).toEqual([
      [1, 'error', 500],
      [2, 'ok', 200],
    ]);
  });

  it('gives up after retries + 1 answers of 500, saying so', async () => {
    await startArchive(() => ({ answer: 500, body: 'boom' }));

    const failure = await submitFailure({ retries: 2 });

    expect(failure.message).toBe('The archive answered 500 Internal Server Error 3 times; try again later.');
    expect(failure).toMatchObject({ retryable: true, status: 500 });
    expect(archive.received).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expectBackoff(sleeps);
    expect((await callLogLines()).map((line) => [line.attempt, line.outcome, line.status])).toEqual([
      [1, 'error', 500],
      [2, 'error', 500],
      [3, 'error', 500],
    ]);
  });

  it('does not retry a refusal and quotes its reason', async () => {
    await startArchive(() => ({ answer: 400, body: { title: 'Bad batch', detail: 'Attribute "supplier"\nis required.' } }));

    const failure = await submitFailure();

    expect(failure.message).toBe('The archive refused the batch (400 Bad Request): Attribute "supplier" is required.');
    expect(failure).toMatchObject({ retryable: false, status: 400 });
    expect(archive.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('abandons an attempt that outlives the timeout, retries, then gives up', async () => {
    await startArchive(() => ({ hang: true }));

    // long enough for each attempt's body to reach the archive even on a loaded machine
    const failure = await submitFailure({ timeoutMs: 2_000, retries: 1 });

    expect(failure.message).toBe('The archive did not answer within 2 s twice; try again later.');
    expect(failure.retryable).toBe(true);
    expect(archive.received).toHaveLength(2);
    expect((await callLogLines()).map((line) => line.outcome)).toEqual(['error', 'error']);
  });

  it('retries when the archive resets the connection', async () => {
    await startArchive((attempt) => (attempt === 1 ? { reset: true } : { answer: 200, body: { batchId: 'B-3' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    expect(await client().submit(batch)).toEqual({ batchId: 'B-3' });

    const [first, second] = await callLogLines();
    expect(first).toMatchObject({ attempt: 1, outcome: 'error', error: 'The archive closed the connection before answering.' });
    expect(first).not.toHaveProperty('status');
    expect(second).toMatchObject({ attempt: 2, outcome: 'ok', batchId: 'B-3' });
  });

  it('retries when nothing listens, then names the cause', async () => {
    await startArchive(() => ({ answer: 200, body: { batchId: 'never' } }));
    await archive.stop();

    const failure = await submitFailure({ retries: 1 });

    expect(failure.message).toBe('The archive could not be reached (connection refused) twice; try again later.');
    expect(sleeps).toHaveLength(1);
  });

  it('waits as long as Retry-After asks after a 429', async () => {
    await startArchive((attempt) => (attempt === 1 ? { answer: 429, headers: { 'Retry-After': '3' } } : { answer: 200, body: { batchId: 'B-4' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    expect(await client().submit(batch)).toEqual({ batchId: 'B-4' });
    expect(sleeps).toEqual([3_000]);
  });

  it('treats a success status without a readable batch id as a final error', async () => {
    await startArchive(() => ({ answer: 200, body: 'OK, stored it' }));

    const failure = await submitFailure();

    expect(failure.message).toMatch(/^The archive answered 200 OK without a batch id/);
    expect(failure.retryable).toBe(false);
    expect(archive.received).toHaveLength(1);
  });

  it('refuses to send without the configured token and never calls the archive', async () => {
    await startArchive(() => ({ answer: 200, body: { batchId: 'B-5' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    const failure = await client({}, {})
      .submit(batch)
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ retryable: false, message: expect.stringContaining('ARCHIVE_TOKEN is not set') });
    expect(archive.received).toEqual([]);
  });

  it('stops at once when the caller gives up', async () => {
    const controller = new AbortController();
    await startArchive(() => {
      setImmediate(() => controller.abort());
      return { hang: true };
    });

    const failure = await submitFailure({ retries: 3 }, controller.signal);

    expect(failure).toMatchObject({ retryable: true, message: expect.stringContaining('interrupted') });
    expect((await callLogLines()).map((line) => line.attempt)).toEqual([1]);
  });

  it('writes a call log line per attempt without the token, the query or the payload', async () => {
    await startArchive((attempt) => (attempt < 3 ? { answer: 503 } : { answer: 200, body: { batchId: 'B-6' } }));
    const batch = await writeBatch(path.join(dir, 'import'), samplePages());

    await client().submit(batch);

    const text = await callLogText();
    expect(text.trim().split('\n')).toHaveLength(3);
    for (const secret of [TOKEN, 'query-secret', 'Supplier & Co', 'Invoice 42', 'Hello', 'jana@acme.example']) {
      expect(text).not.toContain(secret);
    }
  });
});
