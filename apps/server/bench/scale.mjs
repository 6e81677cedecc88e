import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { paths } from '@toa/api/routes';
import { residentMemory } from './lib/child-server.mjs';
import { fmt, median, scaledCalls, timed } from './lib/measure.mjs';
import { numbersFromEnv } from './lib/payload.mjs';
import { ApiClient, createSite, DOMAIN, forgetCleanStop } from './lib/toa-site.mjs';
import { forEachStoreSize } from './listing.mjs';
import { EPOCH, messageOf, SCALE_LAYOUT, writeScaleImports } from './scale-store.mjs';

/**
 * The index at scale (issue 12, row 4): stores of TOA_BENCH_SCALE imports
 * (10 000, 100 000 and 1 000 000 by default) of 5 000 users, generated on
 * disk once (bench/scale-store.mjs) and kept in TOA_BENCH_STORE (default: a
 * folder in the system's temporary directory) for the next run. At each
 * size, the real server runs in a node with a 1 GB heap
 * (`--max-old-space-size=1024`) and answers, for the bench user who owns
 * 1 000 of the imports at every size: the first listing, timed from the
 * spawn (the start-up pass and the index build), then listings, duplicate lookups (`?messageId=`) and
 * filing suggestions, one request at a time. A probe process then builds
 * the same index in-process to weigh it (heap per import after a full GC),
 * times the same lookups as storage calls, and a retention sweep that
 * removes a planted day of 100 imports.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const HEAP = '--max-old-space-size=1024';
const ROUNDS = scaledCalls(100);

async function probe(site) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', HEAP, path.join(here, 'scale-probe.mjs'), site.configFile], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** Median ms of `rounds` calls of `call`, one at a time. */
async function medianMs(rounds, call) {
  await call();
  const samples = [];
  for (let round = 0; round < rounds; round += 1) samples.push(await timed(call));
  return median(samples);
}

export async function scale(workDir) {
  const counts = numbersFromEnv('TOA_BENCH_SCALE', [10_000, 100_000, 1_000_000]).sort((a, b) => a - b);
  const storeDir = process.env.TOA_BENCH_STORE ?? path.join(os.tmpdir(), 'toa-bench-store');
  const rows = [];
  for (const count of counts) {
    // one kept store per size; retention off in the server, the probe runs it on a planted day only
    const site = await createSite(path.join(storeDir, String(count)), { overrides: { dataRetention: '0d' } });
    await forEachStoreSize(
      workDir,
      [count],
      async (server, _count, _site, spawnedAt) => {
        const client = new ApiClient(server.url);
        const listed = await client.listImports();
        const firstMs = performance.now() - spawnedAt;
        if (listed.total !== 1000) throw new Error(`the bench user lists ${listed.total} imports, not 1 000`);
        const listingMs = await medianMs(ROUNDS, () => client.listImports());
        // the bench user's messages are every tenth of the newest 10 000: look one up, a different one each time
        let asked = 0;
        const duplicateMs = await medianMs(ROUNDS, async () => {
          const { internetMessageId } = messageOf((asked++ % 1000) * 10);
          const found = await client.call(`${paths.imports(DOMAIN)}?messageId=${encodeURIComponent(internetMessageId)}`);
          if (found.total !== 1) throw new Error(`a duplicate lookup found ${found.total} imports, not 1`);
        });
        const suggestionsMs = await medianMs(ROUNDS, async () => {
          const { matter: _matter, internetMessageId: _id, ...facts } = messageOf((asked++ % 1000) * 10);
          await client.call(paths.suggestions(DOMAIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(facts) });
        });
        const { rss } = await residentMemory(server.pid);
        await server.stop();
        const weighed = await probe(site);
        rows.push([
          count.toLocaleString('en-US'),
          fmt(weighed.heapPerImport, 0),
          fmt(weighed.buildMs / 1000, 1),
          fmt(weighed.listingMs, 3),
          fmt(weighed.duplicateMs, 3),
          fmt(weighed.tallyMs, 3),
          fmt(weighed.retentionMs),
          fmt(firstMs / 1000, 1),
          fmt(rss / 2 ** 20, 0),
          fmt(listingMs),
          fmt(duplicateMs),
          fmt(suggestionsMs),
        ]);
      },
      // each start swept whole, as after a crash: the same work at every run, whatever ended the one before (ADR 0025)
      { grow: writeScaleImports, layout: SCALE_LAYOUT, site, nodeArgs: [HEAP], beforeStart: forgetCleanStop },
    );
  }
  return {
    title: 'Index at scale: heap per import and one user’s requests as the store grows (server and probe in a 1 GB heap)',
    columns: [
      'imports on disk',
      'index heap bytes per import',
      'index build s (probe)',
      'listing ms (probe)',
      'duplicate lookup ms (probe)',
      'suggestion tally ms (probe)',
      'retention sweep ms (probe, 100 expired)',
      'server: spawn to first listing s (start-up pass and index build)',
      'server RSS MiB after',
      'server: listing ms',
      'server: duplicate lookup ms',
      'server: suggestions ms',
    ],
    rows,
    notes: [
      `store: 1 000 imports a day back from ${new Date(EPOCH).toISOString().slice(0, 10)}, of 5 000 users and the bench user, who owns 1 000 at every size; one import in a hundred lists 200 recipients`,
      `listing, duplicate lookup (GET ?messageId=), suggestions (POST): medians of ${ROUNDS} loopback requests one at a time, after the first listing`,
      'probe: the storage of the domain in a node of its own (1 GB heap), as the server composes it; heap per import: heapUsed after a full GC less before the build, over the imports; listing, duplicate lookup and the suggestion tally (storage/filing-memory.ts) as storage calls, medians of 200',
      'retention: a sweep of every date folder that removes a planted day of 100 of the bench user’s imports',
      'server: loopback HTTP to the real server (1 GB heap); the suggestions add the ranking and the HTTP round trip to the tally',
    ],
  };
}
