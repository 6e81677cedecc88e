import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedArchive, startScriptedArchive } from '../../../../test/e2e/support/scripted-archive';
import type { ApiClient } from '../../../lib/api-client';
import { draftStore, type ProgressStore } from '../../import-flow/flow/attempt';
import { DOMAIN, type FlowServer, pdfMessage, VALID_INVOICE, withFlowServer } from '../../../test/import-flow-server';
import { MemoryStorage } from '../../../test/memory-storage';
import type { HeldMessage } from '../../../test/message-handle';
import type { BulkItem, BulkJob } from './bulk-job';
import { localJobStore } from './bulk-job';
import { BulkQueue, type QueueDeps } from './bulk-queue';

/** Three different messages (their own Internet message ids and item ids) over the same corpus EML. */
function threeMessages(tag: string): HeldMessage[] {
  return ['a', 'b', 'c'].map((n) => {
    const message = pdfMessage(`<bulk-${tag}-${n}-${Math.random()}@x>`);
    message.details.itemId = `item-${tag}-${n}`;
    message.details.subject = `Invoice ${n.toUpperCase()}`;
    return message;
  });
}

/** A job filing `messages` as invoices, with the supplier shared and each message's own invoice date. */
function jobFor(messages: HeldMessage[]): BulkJob {
  return {
    domain: DOMAIN,
    templateId: 'invoice',
    shared: { ...VALID_INVOICE, supplier: 'Shared Supplier s.r.o.' },
    items: messages.map(
      (m, i): BulkItem => ({
        itemId: m.details.itemId as string,
        key: m.key,
        subject: m.details.subject,
        values: { invoiceDate: `2026-11-0${i + 1}` },
        state: 'queued',
      }),
    ),
    startedAt: 0,
  };
}

interface Setup {
  deps: QueueDeps;
  storage: MemoryStorage;
  store: ProgressStore;
  /** the most uploads in flight at once */
  peakUploads: () => number;
}

/** Queue dependencies over the real server's client, stores in memory and the held messages by item id; uploads are counted. */
function setup(flow: FlowServer, messages: HeldMessage[], extra: Partial<QueueDeps> = {}, storage = new MemoryStorage()): Setup {
  let inFlight = 0;
  let peak = 0;
  const client: ApiClient = {
    ...flow.client,
    uploadPage: async (...args) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await flow.client.uploadPage(...args);
      } finally {
        inFlight--;
      }
    },
  };
  const store = draftStore(storage);
  const byItem = new Map(messages.map((m) => [m.details.itemId, m]));
  const deps: QueueDeps = {
    client,
    store,
    jobs: localJobStore(storage),
    handleFor: async (item) => {
      const message = byItem.get(item.itemId);
      if (!message) throw new Error(`no message ${item.itemId}`);
      return message;
    },
    templates: flow.templates,
    polling: { intervalMs: 0 },
    ...extra,
  };
  return { deps, storage, store, peakUploads: () => peak };
}

async function importsOf(flow: FlowServer, message: HeldMessage) {
  return (await flow.client.listImports(DOMAIN, { messageId: message.key })).items;
}

describe('bulk queue', () => {
  const flow = withFlowServer();

  it('files every message as its own import with the shared values and its own, two at a time, and marks each', async () => {
    const messages = threeMessages('all');
    const { deps, peakUploads } = setup(flow, messages);
    const queue = new BulkQueue(deps, jobFor(messages));
    await queue.run();
    expect(queue.job.items.map((i) => i.state)).toEqual(['submitted', 'submitted', 'submitted']);
    expect(peakUploads()).toBeLessThanOrEqual(2);
    for (const [index, message] of messages.entries()) {
      const [summary, ...more] = await importsOf(flow, message);
      expect(more).toEqual([]);
      const stored = await flow.client.getImport(DOMAIN, summary?.id ?? '');
      expect(stored.status).toBe('SUBMITTED');
      expect(stored.documents.map((d) => [d.templateId, d.attributes.supplier, d.attributes.invoiceDate])).toEqual([
        ['invoice', 'Shared Supplier s.r.o.', `2026-11-0${index + 1}`],
      ]);
      expect(message.marks).toEqual([stored.damisBatchId]);
      expect(queue.job.items[index]).toMatchObject({ importId: stored.id, batchId: stored.damisBatchId });
    }
    // the job stays stored until the user closes it, with every outcome
    expect(deps.jobs.load()?.items.map((i) => i.state)).toEqual(['submitted', 'submitted', 'submitted']);
  });

  it('never has more than two messages in flight: the third waits until one of the first two is done', async () => {
    const messages = threeMessages('gate');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reading = 0;
    let bothReading: () => void = () => undefined;
    const twoReading = new Promise<void>((resolve) => (bothReading = resolve));
    for (const message of messages) {
      const read = message.readEml;
      message.readEml = async () => {
        if (++reading === 2) bothReading();
        await gate;
        return read();
      };
    }
    const queue = new BulkQueue(setup(flow, messages).deps, jobFor(messages));
    const done = queue.run();
    await twoReading;
    // every other step of the first two has been taken: what is left waits on their reads
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reading).toBe(2);
    expect(queue.job.items.map((i) => i.state)).toEqual(['filing', 'filing', 'queued']);
    release();
    await done;
    expect(reading).toBe(3);
    expect(queue.job.items.every((i) => i.state === 'submitted')).toBe(true);
  });

  it('skips a message filed before with a note, and files the others', async () => {
    const messages = threeMessages('skip');
    const first = new BulkQueue(setup(flow, [messages[0] as HeldMessage]).deps, jobFor([messages[0] as HeldMessage]));
    await first.run();
    const earlier = (await importsOf(flow, messages[0] as HeldMessage))[0];
    const queue = new BulkQueue(setup(flow, messages).deps, jobFor(messages));
    await queue.run();
    expect(queue.job.items.map((i) => i.state)).toEqual(['skipped', 'submitted', 'submitted']);
    expect(queue.job.items[0]?.note).toMatch(new RegExp(`^Skipped: this message was filed on .+, batch ${earlier?.damisBatchId}\\.$`));
    expect(await importsOf(flow, messages[0] as HeldMessage)).toHaveLength(1);
  });

  it('resumes after the pane closed mid-way, from the stored job alone, without filing anything twice', async () => {
    const messages = threeMessages('resume');
    const storage = new MemoryStorage();
    const closing = new AbortController();
    let uploads = 0;
    const closed = setup(flow, messages, {}, storage);
    const upload = closed.deps.client.uploadPage;
    closed.deps.client.uploadPage = async (...args) => {
      // the pane closes while the second upload is under way
      if (++uploads === 2) closing.abort(new Error('the pane closed'));
      return upload(...args);
    };
    const interrupted = new BulkQueue({ ...closed.deps, signal: closing.signal }, jobFor(messages));
    await interrupted.run();
    const stored = localJobStore(storage).load();
    expect(stored?.items.some((i) => i.state === 'filing' || i.state === 'queued')).toBe(true);

    // a new pane: only localStorage remembers
    const reopened = setup(flow, messages, {}, storage);
    const queue = new BulkQueue(reopened.deps, stored as BulkJob);
    await queue.run();
    expect(queue.job.items.map((i) => i.state)).toEqual(['submitted', 'submitted', 'submitted']);
    for (const message of messages) expect(await importsOf(flow, message)).toHaveLength(1);
  });

  it("takes its own import as submitted when a reload lost the archive's answer, instead of skipping or filing it again", async () => {
    const [message] = threeMessages('own');
    const only = [message as HeldMessage];
    const queue = new BulkQueue(setup(flow, only).deps, jobFor(only));
    await queue.run();
    const done = queue.job.items[0] as BulkItem;
    // the job as a reload left it: the import known, its outcome not yet recorded
    const again = new BulkQueue(setup(flow, only).deps, { ...jobFor(only), items: [{ ...done, state: 'filing', batchId: undefined }] });
    await again.run();
    expect(again.job.items[0]).toMatchObject({ state: 'submitted', importId: done.importId, batchId: done.batchId });
    expect(await importsOf(flow, message as HeldMessage)).toHaveLength(1);
  });
});

describe('bulk queue with an archive that refuses once', () => {
  let archive: ScriptedArchive;
  beforeAll(async () => {
    archive = await startScriptedArchive({ status: 201, body: (n: number) => ({ batchId: `ARCH-${n}` }) });
  });
  afterAll(() => archive?.close());
  // No retries inside the server: the refusal fails the import.
  const flow = withFlowServer(() => ({ type: 'http', url: archive.url, retries: 0 }));

  it('goes on with the others when one is refused, and files that one alone on retry, the same import', async () => {
    const messages = threeMessages('refused');
    archive.answerNext({ status: 500, body: { detail: 'disk full' } });
    // one at a time, so that the first message meets the refusal
    const queue = new BulkQueue(setup(flow, messages, { concurrency: 1 }).deps, jobFor(messages));
    await queue.run();
    expect(queue.job.items.map((i) => i.state)).toEqual(['failed', 'submitted', 'submitted']);
    const refused = queue.job.items[0] as BulkItem;
    expect(refused.error).toBe('The archive answered 500 Internal Server Error; try again later.');
    expect(messages[0]?.marks).toEqual([]);
    const others = queue.job.items.slice(1).map((i) => [i.importId, i.batchId]);

    await queue.retry(refused.itemId);
    expect(queue.job.items[0]).toMatchObject({ state: 'submitted', importId: refused.importId, batchId: 'ARCH-4' });
    expect(queue.job.items.slice(1).map((i) => [i.importId, i.batchId])).toEqual(others);
    expect(messages[0]?.marks).toEqual(['ARCH-4']);
    expect(await importsOf(flow, messages[0] as HeldMessage)).toHaveLength(1);
  });
});
