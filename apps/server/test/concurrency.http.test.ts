import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { importSchema } from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, paths } from '@toa/api/routes';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { composeStorage } from '../src/composition.js';
import { extractParts } from '../src/mail/extract-parts.js';
import { summarizeMessage } from '../src/mail/summarize-message.js';
import { DomainStorage, type StagedPage } from '../src/storage/domain-storage.js';
import { KeyedLock } from '../src/fs/keyed-lock.js';
import { type ImportPaths, Layout } from '../src/storage/layout.js';
import { ZonedTime } from '../src/zoned-time.js';
import { checkInvariants } from './crash/invariants.js';
import { corpusEml, extractableMessage, type Payload, randomBinary, seededRandom, smallest } from './crash/payloads.js';
import { type Acks, DOMAIN, emptyAcks, TrackingClient } from './crash/tracking-client.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

async function invariants(running: TestServer, acks: Acks): Promise<string[]> {
  return (await checkInvariants(running.dataRoot, [...composeStorage(running.config).storages.values()], acks)).violations;
}

/** The folder of an import, as the server lays it out. */
function importPaths(running: TestServer, id: string): ImportPaths {
  return composeStorage(running.config).storages.get(DOMAIN)?.paths(id) as ImportPaths;
}

describe('concurrent mutations of one import over HTTP', () => {
  it('lose nothing, duplicate nothing and never interleave writes', async () => {
    server = await startTestServer();
    const client = new TrackingClient(server.url);
    const random = seededRandom(42);
    const id = await client.create();
    const extractable = async (): Promise<number> => {
      const message = extractableMessage(random);
      for (const sha of message.attachmentShas) client.acks.attachmentShas.add(sha);
      return (await client.upload(id, 1, message)).m;
    };
    const first = await extractable();
    const sibling = await client.extract(id, 1, await extractable());
    const importFile = importPaths(server, id).importFile;

    // a reader of the raw file throughout: every read must parse, whatever is being written
    let writing = true;
    const torn: string[] = [];
    const reader = (async () => {
      let reads = 0;
      while (writing || reads === 0) {
        const text = await readFile(importFile, 'utf8');
        if (!importSchema.safeParse(JSON.parse(text)).success) torn.push(text);
        reads += 1;
      }
      return reads;
    })();

    const titles = Array.from({ length: 12 }, (_, i) => `title ${i} ${'x'.repeat(i * 50)}`);
    const payloads: Payload[] = Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? corpusEml(random) : randomBinary(() => random() * 0.8)));
    const outcomes = await Promise.allSettled([
      ...payloads.map((payload) => client.upload(id, 1, payload)),
      ...titles.map((title) => client.setNote(id, 1, title)),
      client.extract(id, 1, first),
      client.deleteDocument(id, sibling.n),
    ]);
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason));

    // then a submit racing with more changes: whichever wins, nothing acknowledged is lost
    const current = await client.get(id);
    for (const doc of current.documents) await client.setNote(id, doc.n, titles[0] as string);
    const late = await Promise.allSettled([client.submit(id), client.upload(id, 1, randomBinary(smallest)), client.setNote(id, 1, titles[1] as string)]);
    writing = false;
    expect(await reader).toBeGreaterThan(0);
    const final = await client.settled(id);

    expect(torn).toEqual([]);
    // corpus messages the parser refuses answer 4xx; nothing else may fail
    expect(refused.filter((reason) => !/HTTP 4\d\d/.test(reason))).toEqual([]);
    expect(late[0]?.status).toBe('fulfilled');
    expect(final.status).toBe('SUBMITTED');
    expect(titles).toContain(final.documents.find((d) => d.n === 1)?.attributes.title);
    // the deleted sibling is gone; its number may have been reused by the extraction that ran after the deletion
    expect(final.documents.find((d) => d.n === sibling.n)?.origin?.page ?? first).toBe(first);
    expect(client.acks.pages.length).toBeGreaterThanOrEqual(20);
    expect(await invariants(server, client.acks)).toEqual([]);
    // 45 concurrent requests, some parsed: on a loaded 2-core machine this can outlast the default 30 s
  }, 120_000);

  it('a slow upload holds up neither another import nor other changes of its own import', async () => {
    server = await startTestServer();
    const client = new TrackingClient(server.url);
    const slow = await client.create();
    const other = await client.create();
    const pagesDir = importPaths(server, slow).pagesDir(1);

    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const boundary = 'slowboundary';
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(
          encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        );
        controller.enqueue(chunk);
        await released;
        controller.enqueue(chunk);
        controller.enqueue(encoder.encode(`\r\n--${boundary}--\r\n`));
        controller.close();
      },
    });
    const completed: string[] = [];
    const slowUpload = fetch(`${server.url}${paths.pages(DOMAIN, slow, 1)}`, {
      method: 'POST',
      headers: { [DEV_IDENTITY_HEADERS.email]: 'crash@acme.example', 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: 'half',
    } as RequestInit).then((response) => {
      completed.push('slow upload');
      return response;
    });
    // the body is streaming into its temporary before anything else starts
    while (!(await readdir(pagesDir)).some((name) => name.endsWith('.tmp'))) await new Promise((resolve) => setTimeout(resolve, 5));

    const roundTrip = (async () => {
      const message = extractableMessage(seededRandom(1));
      for (const sha of message.attachmentShas) client.acks.attachmentShas.add(sha);
      const eml = await client.upload(other, 1, message);
      const extracted = await client.extract(other, 1, eml.m);
      await client.setNote(other, 1, 'other');
      await client.setNote(other, extracted.n, 'other');
      await client.submit(other);
      expect((await client.settled(other)).status).toBe('SUBMITTED');
      completed.push('other import submitted');
    })();
    const ownChange = client.setNote(slow, 1, 'changed while uploading').then(() => completed.push('same import changed'));
    await Promise.all([roundTrip, ownChange]);
    release();
    const response = await slowUpload;

    expect(response.status).toBe(201);
    expect(completed.at(-1)).toBe('slow upload');
    expect(new Set(completed)).toEqual(new Set(['other import submitted', 'same import changed', 'slow upload']));
    expect(await invariants(server, client.acks)).toEqual([]);
  });
});

type Operation = { kind: 'addPage'; n: 1 | 2 } | { kind: 'update'; title: string } | { kind: 'extract'; m: 1 | 2 } | { kind: 'deleteDocument' };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('addPage' as const), n: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ kind: fc.constant('update' as const), title: fc.string({ maxLength: 20 }) }),
  fc.record({ kind: fc.constant('extract' as const), m: fc.constantFrom(1 as const, 2 as const) }),
  fc.constant({ kind: 'deleteDocument' as const }),
);

/**
 * `fn` with its answer released by the scheduler. Failures travel as values
 * through the scheduler (it would otherwise leave a rejected copy unhandled).
 */
function scheduled<A extends unknown[], T>(s: fc.Scheduler, fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  const settled = s.scheduleFunction(async (...args: A) =>
    fn(...args).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
  );
  return async (...args) => {
    const outcome = await settled(...args);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  };
}

/** Schedules tried; `TOA_INTERLEAVING_RUNS=500` for more (docs/reliability.md). */
const INTERLEAVING_RUNS = Number(process.env.TOA_INTERLEAVING_RUNS ?? 30);

describe('interleavings of DomainStorage operations on one import (fast-check scheduler)', () => {
  // Every schedule is a real import with fsynced writes, checked by fsck: 30 took 2 s on an idle machine and
  // 13-28 s at a load of 25, and overran a 30 s budget in full runs, so the budget grows with the runs asked for.
  it('keep every invariant after every schedule', { timeout: INTERLEAVING_RUNS * 4_000 }, async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'toa-interleave-'));
    const time = new ZonedTime('Europe/Prague');
    const clock = { now: () => new Date('2026-11-21T09:00:00Z') };
    const owner = { userId: 'u', userName: 'U', userEmail: 'u@acme.example' };
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.array(operationArb, { minLength: 2, maxLength: 7 }), async (s, operations) => {
          run += 1;
          const dataRoot = path.join(root, String(run));
          // the message parser's steps are where the scheduler interleaves the operations' insides
          const mail = { summarizeMessage: scheduled(s, summarizeMessage), extractParts: scheduled(s, extractParts) };
          const plain = { summarizeMessage, extractParts };
          const deps = { layout: new Layout(dataRoot), domain: DOMAIN, clock, time, locks: new KeyedLock(), logger: pino({ level: 'silent' }) };
          const setup = new DomainStorage({ ...deps, mail: plain });
          const storage = new DomainStorage({ ...deps, mail });
          const acks = emptyAcks();
          const { id } = await setup.create(owner, {});
          const stage = (n: number, payload: Payload): Promise<StagedPage> =>
            setup.stagePage(id, n, Readable.from([payload.bytes]), { filename: payload.filename, contentType: payload.contentType });
          const add = async (into: DomainStorage, n: number, payload: Payload): Promise<void> => {
            const upload = await stage(n, payload);
            const { page } = await into.addPage(id, n, upload, await into.summarizeUpload(upload, owner.userId), () => {});
            acks.pages.push({ importId: id, n, m: page.m, sha256: page.sha256, contentType: page.contentType });
          };
          for (let m = 1; m <= 3; m += 1) {
            const message = extractableMessage(smallest);
            for (const sha of message.attachmentShas) acks.attachmentShas.add(sha);
            await add(setup, 1, message);
          }
          const sibling = await setup.extract(id, 1, 3, undefined, () => {});
          acks.extractions.push({ importId: id, source: { n: 1, m: 3 }, document: sibling.document });

          const titles: Array<string | undefined> = [undefined];
          const running = operations.map((operation) =>
            s.schedule(Promise.resolve(operation.kind)).then(async () => {
              switch (operation.kind) {
                case 'addPage':
                  return add(storage, operation.n === 1 ? 1 : sibling.document.n, randomBinary(smallest));
                case 'update':
                  titles.push(operation.title);
                  return storage.update(
                    id,
                    () => {},
                    (draft) => {
                      const doc = draft.documents.find((d) => d.n === 1);
                      if (doc) doc.attributes = { title: operation.title };
                    },
                  );
                case 'extract': {
                  const { document } = await storage.extract(id, 1, operation.m, undefined, () => {});
                  acks.extractions.push({ importId: id, source: { n: 1, m: operation.m }, document });
                  return;
                }
                case 'deleteDocument':
                  acks.deletionsSent.push({ importId: id, n: sibling.document.n });
                  return storage.deleteDocument(id, sibling.document.n, () => {});
              }
            }),
          );
          let settled = false;
          const all = Promise.allSettled(running).then(() => {
            settled = true;
          });
          // file system steps are real, so the scheduler is driven until every operation has ended
          while (!settled) {
            if (s.count() > 0) await s.waitNext(1);
            else await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 1))]);
          }

          expect(await checkInvariants(dataRoot, [storage], acks).then((r) => r.violations)).toEqual([]);
          expect(titles).toContain((await storage.read(id)).documents.find((d) => d.n === 1)?.attributes.title);
        }),
        { numRuns: INTERLEAVING_RUNS },
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
