import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paths } from '@toa/api/routes';
import { startChildServer } from './lib/child-server.mjs';
import { fmt, median, ratio, roundMs, scaledRounds, warmUps } from './lib/measure.mjs';
import { numbersFromEnv } from './lib/payload.mjs';
import { ApiClient, BENCH_USER, DOMAIN } from './lib/toa-site.mjs';
import { forEachStoreSize } from './listing.mjs';

/**
 * Requests per second of two routes a busy site answers most — one user's
 * listing (`GET /api/import/:domain`, first page) and `GET /api/health` —
 * against bare Express answering the same path with the same body (saved
 * from the server's own answer), both in their own process, each driven by
 * the same closed loop of concurrent keep-alive requests for a fixed time,
 * in interleaved rounds. The listing is measured at each store size of
 * TOA_BENCH_ROUTES: all imports are the bench user's, so the listing would
 * grow with them if it sorted or checked them per request.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = 16;
const ROUND_MS = roundMs(1_000);

/** Completed requests per second of `CONCURRENCY` loops sending `send` for ROUND_MS. */
async function throughput(send) {
  const end = performance.now() + ROUND_MS;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const response = await send();
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`answered ${response.status}`);
        done += 1;
      }
    }),
  );
  return (done * 1000) / ROUND_MS;
}

/** Interleaved rounds (one untimed first, but in a quick run) of the server and the baseline on one path; medians of req/s. */
async function versus(rounds, server, baseline) {
  const samples = { server: [], baseline: [] };
  if (warmUps) {
    await throughput(server);
    await throughput(baseline);
  }
  for (let round = 0; round < rounds; round += 1) {
    samples.server.push(await throughput(server));
    samples.baseline.push(await throughput(baseline));
  }
  return [median(samples.server), median(samples.baseline)];
}

export async function routes(workDir) {
  const counts = numbersFromEnv('TOA_BENCH_ROUTES', [100, 10_000]).sort((a, b) => a - b);
  const rounds = scaledRounds(7);
  const rows = [];
  await forEachStoreSize(workDir, counts, async (server, count) => {
    const client = new ApiClient(server.url);
    const listing = paths.imports(DOMAIN);
    const listed = await client.call(listing);
    if (listed.total !== count) throw new Error(`the server lists ${listed.total} of ${count} imports`);
    const health = await (await fetch(`${server.url}${paths.health()}`)).json();
    const bodies = path.join(workDir, `bodies-${count}.json`);
    await writeFile(bodies, JSON.stringify({ [listing]: listed, [paths.health()]: health }));
    const bare = await startChildServer([path.join(here, 'bare-routes.mjs'), bodies]);
    try {
      const subjects = [
        ['listing', () => client.send(listing), () => fetch(`${bare.url}${listing}`)],
        ['health', () => fetch(`${server.url}${paths.health()}`), () => fetch(`${bare.url}${paths.health()}`)],
      ];
      for (const [route, toa, baseline] of subjects) {
        // health does not depend on the store: measured once, at the first size
        if (route === 'health' && count !== counts[0]) continue;
        const [toaRate, bareRate] = await versus(rounds, toa, baseline);
        rows.push([route, count, rounds, fmt(toaRate, 0), fmt(bareRate, 0), ratio(toaRate, bareRate)]);
      }
    } finally {
      await bare.stop();
    }
  });
  return {
    title: 'Routes: req/s of one user’s listing and of health against bare Express answering the same body',
    columns: ['route', 'imports of the user', 'rounds', 'server req/s', 'bare Express req/s', 'server / bare'],
    rows,
    notes: [
      `${CONCURRENCY} concurrent keep-alive loops for ${ROUND_MS / 1000} s a round, server and baseline interleaved, medians of req/s`,
      `listing: GET /api/import/:domain as ${BENCH_USER}, first page (the default limit); health: GET /api/health without credentials (status only)`,
      'bare Express: express() with one app.get per path returning the saved JSON body, in its own process',
    ],
  };
}
