import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import { IMPORT_FOLDER_PATTERN } from '../dist/storage/layout.js';
import { alternate, fmt, median, ratio, scaledRounds, timed } from './lib/measure.mjs';
import { numbersFromEnv, randomPayload } from './lib/payload.mjs';
import { ApiClient, BENCH_USER, createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * `GET /api/import/:domain` answers from an in-memory index (ADR 0005) that
 * the server builds from every import.json of the domain on the first
 * listing after a start, then keeps current with its own writes. Measured:
 * the first listing (the build: read and validate every import.json), the
 * listings after it, the same walk done in-process with readdir +
 * JSON.parse and no validation (what every listing cost without the index),
 * and an HTTP round trip that reads nothing (GET /api/me).
 */

const PAGE = 20;

/** The least a scan-based listing costs: the walk of DomainStorage.ids and ImportService.list without validation or HTTP. */
async function scanBaseline(domainDir) {
  const found = [];
  const dates = (await readdir(domainDir)).filter((name) => DATE_FOLDER_PATTERN.test(name));
  for (const date of dates.sort().reverse()) {
    const folders = (await readdir(path.join(domainDir, date))).filter((name) => IMPORT_FOLDER_PATTERN.test(name));
    for (const folder of folders.sort().reverse()) {
      const current = JSON.parse(await readFile(path.join(domainDir, date, folder, 'import.json'), 'utf8'));
      if (current.userEmail === BENCH_USER) found.push(current);
    }
  }
  found.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return found.slice(0, PAGE);
}

/**
 * Copies the model import.json into new import folders, one every 90 s back
 * from now (recent enough that retention leaves them alone), as a restore
 * from a tar would (SPEC §3.7). Only import.json is copied: the listing
 * reads nothing else, so the pages it names are not needed on disk.
 */
export async function addImports(domainDir, model, from, to) {
  for (let i = from; i < to; i += 1) {
    const at = new Date(Date.now() - (i + 1) * 90_000);
    const iso = at.toISOString();
    const date = iso.slice(0, 10);
    const folder = `${iso.slice(11, 13)}${iso.slice(14, 16)}-${randomBytes(4).toString('hex')}`;
    const dir = path.join(domainDir, date, folder);
    await mkdir(path.join(dir, 'doc-1', 'pages'), { recursive: true });
    const copy = { ...model, id: `${date}_${folder}`, createdAt: iso, updatedAt: iso, source: { ...model.source, subject: `Message ${i}` } };
    await writeFile(path.join(dir, 'import.json'), JSON.stringify(copy, null, 2));
  }
}

/** A real import with two pages and a described source, made through the API: the shape every copy has. */
export async function modelImport(client, site, workDir) {
  const id = await client.createImport({
    internetMessageId: '<bench-model@bench.example>',
    subject: 'Invoice 2026-0042 for October',
    from: 'Supplier Ltd <billing@supplier.example>',
    receivedAt: new Date().toISOString(),
  });
  const page = await randomPayload(workDir, 0.05, 'model-page');
  await client.uploadPage(id, page);
  await client.uploadPage(id, page);
  const [date, folder] = id.split('_');
  return JSON.parse(await readFile(path.join(site.domainDir, date, folder, 'import.json'), 'utf8'));
}

/**
 * Calls `measure(server, count, site, spawnedAt)` with a store grown to each
 * of `counts` imports (by default copies of one real import, all the bench
 * user's); `spawnedAt` is the `performance.now()` at which the server was
 * spawned (it prints its URL only once its start-up pass is done, so a start
 * is timed from there, not from the URL).
 * Imports copied in by hand are seen after a restart, when the index is built
 * anew, so the server is restarted before each size; it is stopped at the end.
 *
 * Options: `grow(domainDir, from, to)` writes imports `from`..`to` - 1 instead
 * of the copies; `site` (from createSite) is a store kept between runs, whose
 * `generated.json` says how many imports it holds already, so each is written
 * once, and what `grow` wrote (`layout`, a name for it): a kept store written
 * with another layout is emptied and written anew; `nodeArgs` go to the
 * server's node; `start: false` leaves the server stopped for `measure`
 * (called with no server) to start its own; `beforeStart(site)` runs,
 * untimed, before each start.
 */
export async function forEachStoreSize(workDir, counts, measure, { grow, layout, site: kept, nodeArgs = [], start = true, beforeStart } = {}) {
  const site = kept ?? (await createSite(path.join(workDir, 'site')));
  const marker = path.join(site.dir, 'generated.json');
  const generated = kept
    ? await readFile(marker, 'utf8').then(
        (text) => JSON.parse(text),
        () => ({ count: 0 }),
      )
    : { count: 0 };
  let present = generated.count;
  if (present > 0 && generated.layout !== layout) {
    await rm(site.domainDir, { recursive: true, force: true });
    present = 0;
  }
  // a server up front only to make the model import the copies are made of
  let server = grow ? undefined : await startToaServer(site, nodeArgs);
  try {
    let addMore = grow;
    if (!addMore) {
      const model = await modelImport(new ApiClient(server.url), site, workDir);
      present = 1;
      addMore = (domainDir, from, to) => addImports(domainDir, model, from, to);
    }
    for (const count of counts) {
      await server?.stop();
      server = undefined;
      if (count > present) {
        await addMore(site.domainDir, present, count);
        present = count;
        await writeFile(marker, JSON.stringify({ count: present, layout }));
      }
      await beforeStart?.(site);
      const spawnedAt = performance.now();
      if (start) server = await startToaServer(site, nodeArgs);
      await measure(server, count, site, spawnedAt);
    }
  } finally {
    await server?.stop();
  }
}

export async function listing(workDir) {
  const counts = numbersFromEnv('TOA_BENCH_LISTING', [100, 1000]).sort((a, b) => a - b);
  const rows = [];
  await forEachStoreSize(workDir, counts, async (server, count, site, spawnedAt) => {
    const client = new ApiClient(server.url);
    const listed = await client.listImports();
    const firstMs = performance.now() - spawnedAt;
    if (listed.total !== count) throw new Error(`the server lists ${listed.total} of ${count} imports; a copied import.json is invalid`);
    const rounds = scaledRounds(Math.min(30, Math.max(10, Math.ceil(5000 / count))));
    const samples = await alternate(rounds, {
      server: () => timed(() => client.listImports()),
      baseline: () => timed(() => scanBaseline(site.domainDir)),
      me: () => timed(() => client.me()),
    });
    const [serverMs, baselineMs, meMs] = [samples.server, samples.baseline, samples.me].map(median);
    rows.push([count, rounds, fmt(firstMs), fmt(serverMs), fmt(baselineMs), ratio(serverMs, baselineMs), fmt(meMs)]);
  });
  return {
    title: 'Listing: GET /api/import/:domain (in-memory index) vs an in-process readdir + JSON.parse scan of the same folders',
    columns: ['imports on disk', 'rounds', 'spawn to first listing ms', 'listing ms', 'scan baseline ms', 'listing / scan', 'GET /api/me ms'],
    rows,
    notes: [
      'spawn to first listing: from spawning `toa-server serve` until its first listing answers (Node start, start-up pass and index build; the start-up bench measures these apart)',
      `listing: GET /api/import/:domain, first page of ${PAGE}, client-side time, after the first listing`,
      'scan baseline: the walk every listing did before the index, in the bench process with readdir + readFile + JSON.parse, no validation',
    ],
  };
}
