import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nestedMixed, render, withTempDir } from '../../test/fixtures/mail/messages.js';
import { foldedHeader } from '../../test/hostile/hostile-messages.js';
import { isAppError } from '../errors.js';
import { type MailWorkerLimits, MailWorkerPool } from './mail-worker-pool.js';

/** Just under mailsplit's 1 MiB header limit: needs more heap than 32 MB and longer than 1 ms. */
const FOLDED_HEADER = foldedHeader(250_000);

async function outcome(pool: MailWorkerPool, file: string, owner = 'tid:someone'): Promise<string> {
  return pool.run({ kind: 'summarize', file }, owner).then(
    (summary) => `ok, ${summary.attachments.length} attachments`,
    (error: unknown) => (isAppError(error) ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`),
  );
}

describe('MailWorkerPool', () => {
  it('answers a job that overruns its time limit with MESSAGE_UNPARSEABLE', async () => {
    await withTempDir(async (dir) => {
      const file = path.join(dir, 'folded.eml');
      await writeFile(file, FOLDED_HEADER);
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 1, maxOldGenerationSizeMb: 256 });
      expect(await outcome(pool, file)).toBe('MESSAGE_UNPARSEABLE: The message cannot be parsed: parsing it took longer than 1 ms.');
      pool.close();
    });
  });

  it('answers a job that overruns its heap with MESSAGE_UNPARSEABLE, and the next job gets a fresh worker', async () => {
    await withTempDir(async (dir) => {
      const folded = path.join(dir, 'folded.eml');
      const normal = path.join(dir, 'normal.eml');
      await writeFile(folded, FOLDED_HEADER);
      await writeFile(normal, render(nestedMixed, '\r\n'));
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 32 });
      expect(await outcome(pool, folded)).toBe('MESSAGE_UNPARSEABLE: The message cannot be parsed: parsing it needed more than 32 MB of memory.');
      expect(await outcome(pool, normal)).toBe('ok, 2 attachments');
      pool.close();
    });
  });

  it('tells what is parsing and waiting (state), and forgets each job once it has its turn', async () => {
    await withTempDir(async (dir) => {
      const normal = path.join(dir, 'normal.eml');
      await writeFile(normal, render(nestedMixed, '\r\n'));
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 256, maxQueued: 8 });
      expect(pool.state()).toEqual({ workers: 1, busy: 0, queued: 0, maxQueued: 8, oldestWaitMs: 0 });
      const jobs = ['a', 'b', 'c'].map((owner) => pool.run({ kind: 'summarize', file: normal }, owner));
      const waiting = pool.state();
      expect(waiting).toMatchObject({ busy: 1, queued: 2 });
      expect(waiting.oldestWaitMs).toBeGreaterThanOrEqual(0);
      await Promise.all(jobs);
      expect(pool.state()).toEqual({ workers: 1, busy: 0, queued: 0, maxQueued: 8, oldestWaitMs: 0 });
      pool.close();
    });
  });

  it('queues a flood of jobs on its few workers and answers each', async () => {
    await withTempDir(async (dir) => {
      const normal = path.join(dir, 'normal.eml');
      await writeFile(normal, render(nestedMixed, '\r\n'));
      const pool = new MailWorkerPool({ workers: 2, timeoutMs: 60_000, maxOldGenerationSizeMb: 256 });
      const files = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? path.join(dir, 'absent.eml') : normal));
      const outcomes = await Promise.all(
        files.map((file) =>
          pool.run({ kind: 'summarize', file }, 'tid:someone').then(
            (summary) => summary.attachments.length,
            (error: unknown) => (error as { code?: string }).code,
          ),
        ),
      );
      expect(outcomes).toEqual(files.map((file) => (file === normal ? 2 : 'ENOENT')));
      pool.close();
    });
  });

  it('refuses a job past the queue bound, and one that waits too long, with 503 PARSE_QUEUE_FULL', async () => {
    await withTempDir(async (dir) => {
      const heavy = path.join(dir, 'heavy.eml');
      await writeFile(heavy, `Subject: x\r\n${FOLDED_HEADER}\r\n\r\nbody\r\n`);
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 256, maxQueued: 1, maxWaitMs: 1 });
      const outcomes = await Promise.all([outcome(pool, heavy), outcome(pool, heavy), outcome(pool, heavy)]);
      expect(outcomes[0]).toMatch(/^ok/);
      // the second waited in line past 1 ms; the third found the line full
      expect(outcomes[1]).toMatch(/^PARSE_QUEUE_FULL: .*waited/);
      expect(outcomes[2]).toMatch(/^PARSE_QUEUE_FULL: .*waiting/);
      pool.close();
    });
  });

  /**
   * Starts the jobs in the order given (`owner:label`), each a summary of an
   * ordinary message, on a pool of one worker with the given line limits, so
   * they finish in the order they are served; answers that order, with the
   * code, status and retry delay of each refused job.
   */
  async function served(limits: Pick<MailWorkerLimits, 'maxQueued' | 'maxQueuedPerOwner'>, jobs: string[]): Promise<string[]> {
    return withTempDir(async (dir) => {
      const file = path.join(dir, 'normal.eml');
      await writeFile(file, render(nestedMixed, '\r\n'));
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 256, ...limits });
      const order: string[] = [];
      await Promise.all(
        jobs.map((job) => {
          const [owner = '', label = ''] = job.split(':');
          return pool.run({ kind: 'summarize', file }, owner).then(
            () => order.push(label),
            (error: unknown) => order.push(`${label} ${isAppError(error) ? `${error.code} ${error.status} retry ${error.retryAfterSeconds}` : String(error)}`),
          );
        }),
      );
      pool.close();
      return order;
    });
  }

  it('serves an owner who has had no turn before one who has, however many jobs that one has waiting', async () => {
    // a1 takes the worker; a2…a6 wait, then b1, c1 and b2 arrive after them
    const order = await served({}, ['a:a1', 'a:a2', 'a:a3', 'a:a4', 'a:a5', 'a:a6', 'b:b1', 'c:c1', 'b:b2']);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4', 'a5', 'a6']);
  });

  it("refuses an owner's job past their own limit with 429 PARSE_QUEUE_USER_FULL, and still takes another owner's", async () => {
    // a1 runs, a2 and a3 wait: a4 is one too many of a's; b's first job is taken
    const order = await served({ maxQueued: 10, maxQueuedPerOwner: 2 }, ['a:a1', 'a:a2', 'a:a3', 'a:a4', 'b:b1']);
    expect(order).toEqual(['a4 PARSE_QUEUE_USER_FULL 429 retry 5', 'a1', 'b1', 'a2', 'a3']);
  });

  it('refuses a job with 503 PARSE_QUEUE_FULL when the whole line is full, though its owner has none waiting', async () => {
    const order = await served({ maxQueued: 2, maxQueuedPerOwner: 2 }, ['a:a1', 'a:a2', 'b:b1', 'c:c1']);
    expect(order).toEqual(['c1 PARSE_QUEUE_FULL 503 retry 5', 'a1', 'b1', 'a2']);
  });

  it('summarizes a message while it is written, to the same summary as a run over the whole file', async () => {
    await withTempDir(async (dir) => {
      const whole = Buffer.from(render(nestedMixed, '\r\n'));
      const file = path.join(dir, 'arriving.eml');
      const pool = new MailWorkerPool({ workers: 2, timeoutMs: 60_000, maxOldGenerationSizeMb: 256 });
      const handle = await open(file, 'wx');
      const followed = pool.follow(file, 'tid:alice');
      expect(followed).toBeDefined();
      for (let at = 0; at < whole.length; at += 100) {
        await handle.write(whole.subarray(at, at + 100));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await handle.close();
      followed?.complete(whole.length);
      const summary = await followed?.summary;
      expect(summary?.attachments).toHaveLength(2);
      expect(summary).toEqual(await pool.run({ kind: 'summarize', file }, 'tid:alice'));
      pool.close();
    });
  });

  it('follows a message only when that takes no turn from anyone; a job arriving meanwhile waits for it like for any job', async () => {
    await withTempDir(async (dir) => {
      const normal = path.join(dir, 'normal.eml');
      await writeFile(normal, render(nestedMixed, '\r\n'));
      const size = (await readFile(normal)).length;
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 256 });
      const first = pool.follow(normal, 'tid:alice');
      expect(first).toBeDefined();
      // the one worker is the first follow's: neither a second follow nor an ordinary job starts beside it
      expect(pool.follow(normal, 'tid:bob')).toBeUndefined();
      const waiting = outcome(pool, normal, 'tid:bob');
      expect(pool.state()).toMatchObject({ busy: 1, queued: 1 });
      expect(pool.follow(normal, 'tid:carol')).toBeUndefined();
      first?.complete(size);
      expect((await first?.summary)?.attachments).toHaveLength(2);
      expect(await waiting).toBe('ok, 2 attachments');
      pool.close();
    });
  });

  it('gives up a followed parse whose body does not come within the time limit, or breaks off; the line goes on', async () => {
    await withTempDir(async (dir) => {
      const normal = path.join(dir, 'normal.eml');
      await writeFile(normal, render(nestedMixed, '\r\n'));
      const stalled = path.join(dir, 'stalled.eml');
      await writeFile(stalled, 'Subject: the rest never comes\r\n');
      const pool = new MailWorkerPool({ workers: 1, timeoutMs: 1_000, maxOldGenerationSizeMb: 256 });
      const slow = pool.follow(stalled, 'tid:alice');
      expect(await slow?.summary).toBeUndefined();
      expect(await outcome(pool, normal)).toBe('ok, 2 attachments');
      const broken = pool.follow(stalled, 'tid:alice');
      broken?.fail('the upload broke off');
      expect(await broken?.summary).toBeUndefined();
      expect(await outcome(pool, normal)).toBe('ok, 2 attachments');
      pool.close();
    });
  });
});
