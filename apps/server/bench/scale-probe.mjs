import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { composeStorage } from '../dist/composition.js';
import { loadConfig } from '../dist/config/load-config.js';
import { AuditLog } from '../dist/logging/audit-log.js';
import { runRetention } from '../dist/services/retention.js';
import { emptySweepReport } from '../dist/storage/recovery.js';
import { addressOf, mailDomainOf, subjectWords } from '../dist/storage/message-keys.js';
import { mix32 } from '../dist/storage/slot-table.js';
import { submittedImport } from './lib/stored-import.mjs';
import { BENCH_USER, DOMAIN } from './lib/toa-site.mjs';
import { messageOf } from './scale-store.mjs';

/**
 * Run by bench/scale.mjs in a node of its own (`--expose-gc`, the heap
 * limit under test): the storage of the bench domain over a kept store, as
 * the server composes it, built by the start-up pass the server runs (its
 * readers on worker threads). Prints one JSON line: the heap the index takes
 * per import (after a full GC, against the heap before the build, a build
 * of a small store having loaded what is loaded once), the build time, and one retention sweep that removes a planted day of 100
 * imports while the store's other days stay.
 */
const [configFile] = process.argv.slice(2);
const config = loadConfig({ file: configFile, env: {} });
const core = composeStorage(config);
const storage = core.storages.get(DOMAIN);
const expired = '2000-01-03';

// what is loaded once (code, schemas, the mail and template modules) is loaded by a build of a small store first
const warmRoot = await mkdtemp(path.join(os.tmpdir(), 'toa-scale-warm-'));
await plantExpiredDay(path.join(warmRoot, DOMAIN), expired, 100);
await composeStorage({ ...config, dataRoot: warmRoot })
  .storages.get(DOMAIN)
  .recover(emptySweepReport());
await rm(warmRoot, { recursive: true, force: true });

// the planted day: 100 imports, dated in their own folder as a restore would leave them
await rm(path.join(storage.dir, expired), { recursive: true, force: true });
const planted = await plantExpiredDay(storage.dir, expired, 100);

globalThis.gc();
globalThis.gc();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
await storage.recover(emptySweepReport());
const buildMs = performance.now() - started;
globalThis.gc();
globalThis.gc();
const heapAfter = process.memoryUsage().heapUsed;
const imports = storage.usage('').domain.imports;

// one user's requests, in-process (the storage calls the routes make, without HTTP): medians of ROUNDS
const ROUNDS = 200;
const medianOf = async (call) => {
  await call(0);
  const samples = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    await call(round);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[ROUNDS / 2];
};
const listingMs = await medianOf(() => storage.listOwned(BENCH_USER, { offset: 0, limit: 20 }));
const duplicateMs = await medianOf(async (round) => {
  const found = await storage.listOwned(BENCH_USER, { messageId: messageOf(((round * 7) % 1000) * 10).internetMessageId, offset: 0, limit: 20 });
  if (found.total !== 1) throw new Error(`a duplicate lookup found ${found.total} imports, not 1`);
});
const tallyMs = await medianOf((round) => {
  const { from, to, subject, conversationId } = messageOf(((round * 13) % 1000) * 10);
  const sender = addressOf(from);
  return storage.filingTally({
    owner: BENCH_USER,
    everyone: false,
    conversationId,
    sender,
    senderDomain: mailDomainOf(sender),
    people: to.map(addressOf).filter((address) => address !== BENCH_USER),
    words: subjectWords(subject),
  });
});

const logDir = await mkdtemp(path.join(os.tmpdir(), 'toa-scale-audit-'));
// retention that keeps everything newer than 2001-01-01: the planted day goes, nothing else
const retentionDays = Math.ceil((Date.now() - Date.parse('2001-01-01T00:00:00Z')) / 86_400_000);
const retentionStarted = performance.now();
const report = await runRetention({
  storages: [storage],
  retentionDays,
  time: core.time,
  clock: core.clock,
  audit: new AuditLog(logDir),
  logger: pino({ level: 'silent' }),
});
const retentionMs = performance.now() - retentionStarted;
await rm(logDir, { recursive: true, force: true });
if (report.deleted.length !== planted) throw new Error(`retention removed ${report.deleted.length} imports, not the ${planted} planted`);

console.log(
  JSON.stringify({
    imports,
    heapPerImport: (heapAfter - heapBefore) / imports,
    heapUsed: heapAfter,
    rss: process.memoryUsage().rss,
    buildMs,
    listingMs,
    duplicateMs,
    tallyMs,
    retentionMs,
    retentionDeleted: report.deleted.length,
  }),
);

/** `count` imports of the bench user's dated `date`, written beside the store's days; their number. */
async function plantExpiredDay(domainDir, date, count) {
  for (let i = 0; i < count; i += 1) {
    const minute = String(i % 60).padStart(2, '0');
    const folder = `08${minute}-${mix32(i + 7)
      .toString(16)
      .padStart(8, '0')}`;
    const iso = `${date}T08:${minute}:00.000Z`;
    const current = submittedImport({
      iso,
      folder,
      user: BENCH_USER,
      source: { internetMessageId: `<old-${i}@bench.example>`, subject: `Old ${i}` },
      documents: [{ n: 1, templateId: 'contract', attributes: { title: `Old ${i}` }, pages: [] }],
    });
    await mkdir(path.join(domainDir, date, folder), { recursive: true });
    await writeFile(path.join(domainDir, date, folder, 'import.json'), JSON.stringify(current));
  }
  return count;
}
