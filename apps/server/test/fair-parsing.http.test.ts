import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { problemSchema } from '@toa/api/errors';
import { type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsck } from '../src/cli/fsck.js';
import type { Output } from '../src/cli/output.js';
import { nestedMixed, render } from './fixtures/mail/messages.js';
import { foldedHeader } from './hostile/hostile-messages.js';
import { json, startTestServer, type TestServer, upload } from './support/server.js';

/**
 * Issue 9, item 4: "during 40 heavy uploads from one user, another user's
 * 0.24 s upload took 39.9 s". A greedy user sends many heavy e-mail pages at
 * once; an honest user's single message must be served after the one being
 * parsed (the parse line is shared fairly between users), not after the
 * whole backlog; the greedy user's pages past their own share of the line are
 * refused with 429 and Retry-After; nothing acknowledged is lost.
 *
 * One mail worker, so that the order in which answers come back is the
 * order in which the line served the messages; nothing here measures time.
 */

const GREEDY = 'mallory@acme.example';
const HONEST = 'alice@acme.example';
const FLOOD = 16;
/** the greedy user's share of the line: with the one being parsed, far more of theirs are stored than can be ahead of the honest page */
const PER_USER = 6;
/** A header folded over 200 000 lines: a few tenths of a second of parsing each, and a valid page. */
const HEAVY = foldedHeader(200_000);
const ORDINARY = Buffer.from(render(nestedMixed, '\r\n'));

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { parseWorkers: 1, parseQueuePerUser: PER_USER } } });
});
afterAll(() => rm(server.dir, { recursive: true, force: true }));

async function newImport(email: string): Promise<Import> {
  return importSchema.parse(await (await server.as(email)(paths.imports('acme'), json('POST', {}))).json());
}

interface Answer {
  who: 'greedy' | 'honest';
  status: number;
  retryAfter: string | null;
  code: string | undefined;
}

async function answer(who: Answer['who'], response: Promise<Response>): Promise<Answer> {
  const settled = await response;
  const body = (await settled.json()) as unknown;
  return { who, status: settled.status, retryAfter: settled.headers.get('retry-after'), code: problemSchema.safeParse(body).data?.code };
}

describe('one user flooding the parse line', () => {
  // a heavy parse takes seconds on a loaded machine: the wait is raised, nothing is timed
  it("serves another user's message after the one being parsed, refuses their overflow with 429, and loses nothing", { timeout: 120_000 }, async () => {
    const greedyImport = await newImport(GREEDY);
    const honestImport = await newImport(HONEST);
    const greedy = server.as(GREEDY);
    const honest = server.as(HONEST);

    const answered: Answer[] = [];
    const record = (settled: Answer) => {
      answered.push(settled);
      return settled;
    };
    const flood = Array.from({ length: FLOOD }, (_, i) =>
      answer('greedy', greedy(paths.pages('acme', greedyImport.id, 1), upload(HEAVY, `heavy-${i}.eml`, 'message/rfc822'))).then(record),
    );
    // the first answer to the flood comes once its messages are received and lined up (a refusal, or the first parse)
    await Promise.race(flood);
    const honestAnswer = await answer('honest', honest(paths.pages('acme', honestImport.id, 1), upload(ORDINARY, 'invoice.eml', 'message/rfc822'))).then(
      record,
    );
    await Promise.all(flood);

    expect(honestAnswer.status).toBe(201);
    const greedyAnswers = answered.filter((a) => a.who === 'greedy');
    expect(greedyAnswers.map((a) => a.status).filter((status) => status !== 201 && status !== 429)).toEqual([]);
    const refused = greedyAnswers.filter((a) => a.status === 429);
    // one parsing and PER_USER waiting: the flood cannot all be in line
    expect(refused.length).toBeGreaterThan(0);
    for (const refusal of refused) {
      expect(refusal.code).toBe('PARSE_QUEUE_USER_FULL');
      expect(Number(refusal.retryAfter)).toBeGreaterThan(0);
    }

    // in order of answer: the honest page waited for the greedy message being parsed when it was lined up (two, if the
    // first finished before that), never for the greedy backlog
    const stored = answered.filter((a) => a.status === 201);
    const honestPosition = stored.findIndex((a) => a.who === 'honest');
    const greedyStored = stored.length - 1;
    expect(greedyStored).toBeGreaterThanOrEqual(PER_USER + 1);
    expect(honestPosition).toBeLessThanOrEqual(2);
    expect(greedyStored - honestPosition).toBeGreaterThan(honestPosition);

    // every acknowledged page is listed with its bytes; every refused one left nothing
    const greedyAfter = importSchema.parse(await (await greedy(paths.import('acme', greedyImport.id))).json());
    const heavySha = createHash('sha256').update(HEAVY).digest('hex');
    expect(greedyAfter.documents[0]?.pages.map((page) => page.sha256)).toEqual(Array.from({ length: greedyStored }, () => heavySha));
    for (const page of greedyAfter.documents[0]?.pages ?? []) {
      const download = await greedy(paths.page('acme', greedyImport.id, 1, page.m));
      expect(
        createHash('sha256')
          .update(Buffer.from(await download.arrayBuffer()))
          .digest('hex'),
      ).toBe(heavySha);
    }
    const honestAfter = importSchema.parse(await (await honest(paths.import('acme', honestImport.id))).json());
    expect(honestAfter.documents[0]?.pages).toHaveLength(1);

    await server.close();
    const report: Output & { data: Record<string, unknown> } = {
      data: {},
      result(data) {
        report.data = data;
      },
      error() {},
    };
    expect(await fsck(server.config, false, report)).toBe(0);
    expect(report.data.findings).toEqual([]);
  });
});
