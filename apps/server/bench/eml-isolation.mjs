import { createReadStream, statSync } from 'node:fs';
import { corpusMessages, corpusDir as fixturesCorpusDir } from '@toa/fixtures';
import { simpleParser } from 'mailparser';
import { configureMailWorkers } from '../dist/mail/mail-worker-pool.js';
import { readSummary } from '../dist/mail/read-summary.js';
import { summarizeMessage } from '../dist/mail/summarize-message.js';
import { alternate, fmt, median, quick, ratio, scaledRounds, timed, warmUps } from './lib/measure.mjs';

/**
 * The price of parsing messages in worker threads (docs/reliability.md):
 * `summarizeMessage` (the pool: job posted to a worker, parsed there, answer
 * posted back) against `readSummary` — the very same parse — called on the
 * main thread, and against mailparser's `simpleParser` with its defaults, the
 * obvious in-process implementation. One pass = every corpus message; passes
 * one message at a time (latency) and all at once (throughput, where the
 * pool's two workers can use both cores).
 */

/** The corpus vendored in @toa/fixtures, or TOA_BENCH_CORPUS. */
const corpusDir = process.env.TOA_BENCH_CORPUS ?? fixturesCorpusDir;

/** Runs `parse` over every message, one after another or all at once; a refused message counts as done. */
async function pass(messages, parse, concurrent) {
  let refused = 0;
  const one = (file) =>
    parse(file).catch(() => {
      refused += 1;
    });
  const ms = await timed(async () => {
    if (concurrent) await Promise.all(messages.map(one));
    else for (const file of messages) await one(file);
  });
  return { ms, refused };
}

const parsers = {
  pool: summarizeMessage,
  inProcess: readSummary,
  simpleParser: (file) => simpleParser(createReadStream(file)),
};

export async function emlIsolation() {
  // the price of the workers, not of admission: every corpus message is sent at once, and the
  // server's bounded line (64 waiting, 8 a user) would refuse most of them; the default has no bound
  configureMailWorkers({ maxQueued: undefined, maxQueuedPerOwner: undefined, maxWaitMs: undefined });
  // a quick run is a smoke run: an eighth of the corpus, every eighth message
  const messages = corpusMessages(corpusDir).filter((_, index) => !quick || index % 8 === 0);
  if (messages.length === 0) throw new Error(`no .eml files under ${corpusDir} (set TOA_BENCH_CORPUS)`);
  const bytes = messages.reduce((sum, file) => sum + statSync(file).size, 0);
  const rows = [];
  const refusals = {};
  for (const [mode, concurrent, rounds] of [
    ['one at a time', false, scaledRounds(15)],
    ['all at once', true, scaledRounds(15)],
  ]) {
    const subjects = Object.fromEntries(
      Object.entries(parsers).map(([name, parse]) => [
        name,
        async () => {
          const { ms, refused } = await pass(messages, parse, concurrent);
          refusals[name] = refused;
          return ms;
        },
      ]),
    );
    const samples = await alternate(rounds, subjects);
    const [pool, inProcess, simple] = [samples.pool, samples.inProcess, samples.simpleParser].map(median);
    const perMessage = (ms) => fmt((ms * 1000) / messages.length, 0);
    rows.push([mode, rounds, fmt(pool), fmt(inProcess), fmt(simple), ratio(pool, inProcess), ratio(pool, simple), perMessage(pool), perMessage(inProcess)]);
  }
  // both run readSummary; if they disagreed, they would not have done the same work
  if (refusals.pool !== refusals.inProcess) throw new Error(`the pool refused ${refusals.pool} messages, readSummary in-process ${refusals.inProcess}`);
  return {
    title: `EML sidecar: summarizeMessage in the worker pool vs in-process parsing (${messages.length} corpus messages, ${fmt(bytes / 1024, 0)} kB per pass)`,
    columns: [
      'pass',
      'rounds',
      'pool ms',
      'readSummary in-process ms',
      'simpleParser in-process ms',
      'pool / readSummary',
      'pool / simpleParser',
      'pool µs per message',
      'in-process µs per message',
    ],
    rows,
    notes: [
      `refused per pass: pool ${refusals.pool}, readSummary ${refusals.inProcess}, simpleParser ${refusals.simpleParser} (the pool and readSummary run the same code and must agree)`,
      `the pool ${warmUps ? 'is warm (its workers started in an untimed first pass)' : 'starts its workers in the first pass (a quick run has no untimed one)'}; 2 workers, the default`,
    ],
  };
}
