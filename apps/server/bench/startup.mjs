import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, constants, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { DATE_FOLDER_PATTERN } from '@toa/api/ids';
import { paths } from '@toa/api/routes';
import { freePort } from '@toa/fixtures/ports';
import { IMPORT_FOLDER_PATTERN } from '../dist/storage/layout.js';
import { tracked } from './lib/children.mjs';
import { fmt, median, ratio, scaledRounds, warmUps } from './lib/measure.mjs';
import { numbersFromEnv } from './lib/payload.mjs';
import { submittedImport, writeImports } from './lib/stored-import.mjs';
import { ApiClient, BENCH_USER, createSite, DOMAIN, forgetCleanStop, serveArgs } from './lib/toa-site.mjs';
import { forEachStoreSize } from './listing.mjs';

/**
 * Issue 12 rows 1 and 2: how long `toa-server serve` takes, on a store
 * restored by hand, until its port answers, until `/api/health` answers in
 * its own shape (`starting` or a verdict), until it says `ok`, and until the
 * bench user's first listing (`GET /api/import/:domain`) answers: the
 * recovery sweep and the listing index both read every import folder. The
 * store is 100 imports a day (100 000 imports over 1 000 date folders, as
 * the issue measured), each an import folder with its import.json and its
 * document folder holding the listed page (empty: nothing at start reads
 * page bytes). Each size is generated once and kept in TOA_BENCH_STORE
 * (default: a folder in the system's temporary directory), as the scale
 * bench keeps its stores.
 *
 * The server is measured twice in each round: after the clean stop of the
 * round before (its mark lets the pass skip the pages folders, ADR 0025),
 * and "after a crash", the mark removed first, as a crash leaves the data
 * root: the pass then lists every pages folder too.
 *
 * Baselines, in the same interleaved rounds: a bare Node HTTP server started
 * the same way (the floor of "listening"), and a bare pass over the same
 * folders in the bench process — `readdir` of each import folder and
 * `readFile` + `JSON.parse` of its import.json, 64 at a time, no validation
 * (the floor of any start that reads every import). With TOA_BENCH_BEFORE
 * naming another built server package (a copy of apps/server built from an
 * earlier commit), that server is measured in the same rounds too. With
 * TOA_BENCH_COLD=1 (Linux, as root), the servers and the bare pass are
 * then measured again in rounds of their own, each after emptying the page
 * cache: a start after a reboot or a restore, bound by the disk's reads.
 */

const DAY_MS = 86_400_000;
const PER_DAY = 100;
/** the instant import 0 was created at (imports go back from it); fixed, so a kept store stays valid */
const EPOCH = Date.parse('2026-11-01T12:00:00.000Z');

/** Import i of the store: one document, one page, the bench user's, a described message. */
function importOf(i) {
  const iso = new Date(EPOCH - Math.floor((i * DAY_MS) / PER_DAY)).toISOString();
  const date = iso.slice(0, 10);
  const folder = `${iso.slice(11, 13)}${iso.slice(14, 16)}-${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}`;
  return {
    date,
    folder,
    current: submittedImport({
      iso,
      folder,
      user: BENCH_USER,
      userName: 'Bench User',
      source: {
        internetMessageId: `<bench-${i}@mail.supplier.example>`,
        subject: `Invoice 2026-${i} for October`,
        from: 'Supplier Ltd <billing@supplier.example>',
        receivedAt: iso,
      },
      documents: [
        {
          n: 1,
          templateId: 'contract',
          attributes: { title: `Invoice 2026-${i}` },
          pages: [{ m: 1, filename: 'message.eml', size: 40_000, contentType: 'message/rfc822', sha256: '0'.repeat(64) }],
        },
      ],
      batchId: `FS-${i}`,
    }),
  };
}

/** Writes imports `from`..`to` - 1 into `domainDir`, each with its (empty) page, as the server writes them. */
const writeStartupImports = (domainDir, from, to) => writeImports(domainDir, from, to, importOf, { withPage: true, space: 2 });

const POLL_MS = 20;
const SCAN_PARALLEL = 64;
/** a start that takes longer is reported as a failure, not waited for */
const GIVE_UP_MS = 30 * 60_000;

/** Ms from `t0` until `ask()` resolves to an answer `accept(status, body)` takes; rejects when `alive()` says the process ended. */
async function until(t0, alive, ask, accept) {
  for (;;) {
    const answer = await ask().then(
      async (response) => ({ status: response.status, body: await response.text() }),
      () => undefined, // not listening yet
    );
    if (answer && accept(answer.status, answer.body)) return performance.now() - t0;
    if (!alive()) throw new Error('the server ended while starting');
    if (performance.now() - t0 > GIVE_UP_MS) throw new Error(`no answer within ${GIVE_UP_MS / 60_000} minutes`);
    await sleep(POLL_MS);
  }
}

function isHealth(body) {
  try {
    return typeof JSON.parse(body).status === 'string';
  } catch {
    return false;
  }
}

/** Spawns `args` on a free port (TOA_PORT) and times its start; stops it (SIGTERM) afterwards. */
async function timeStart(args, count, { full = true } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = tracked(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TOA_PORT: String(port) } }));
  let errors = '';
  child.stderr.on('data', (chunk) => {
    errors += chunk;
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  try {
    const portMs = await until(
      t0,
      alive,
      () => fetch(`${url}${paths.health()}?probe=live`),
      () => true,
    );
    if (!full) return { portMs };
    const healthMs = await until(
      t0,
      alive,
      () => fetch(`${url}${paths.health()}`),
      (_status, body) => isHealth(body),
    );
    const client = new ApiClient(url);
    const [healthOkMs, listingMs] = await Promise.all([
      until(
        t0,
        alive,
        () => fetch(`${url}${paths.health()}`),
        (status) => status === 200,
      ),
      until(
        t0,
        alive,
        () => client.send(paths.imports(DOMAIN)),
        (status, body) => {
          if (status !== 200) return false;
          const { total } = JSON.parse(body);
          if (total !== count) throw new Error(`the server lists ${total} of ${count} imports`);
          return true;
        },
      ),
    ]);
    return { portMs, healthMs, healthOkMs, listingMs };
  } catch (error) {
    throw new Error(`${args.join(' ')}: ${error.message}\n${errors}`);
  } finally {
    if (alive()) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

/** A Node HTTP server that answers everything with 204: how soon any process started this way can answer. */
const BARE_SERVER = "require('node:http').createServer((q, s) => s.writeHead(204).end()).listen(Number(process.env.TOA_PORT), '127.0.0.1')";

/** Every import folder's entries and its parsed import.json, `SCAN_PARALLEL` at a time: the least a start that reads every import costs. */
async function bareScan(domainDir, count) {
  const t0 = performance.now();
  const folders = [];
  for (const date of (await readdir(domainDir)).filter((name) => DATE_FOLDER_PATTERN.test(name))) {
    for (const folder of await readdir(path.join(domainDir, date))) if (IMPORT_FOLDER_PATTERN.test(folder)) folders.push(path.join(domainDir, date, folder));
  }
  let next = 0;
  let parsed = 0;
  await Promise.all(
    Array.from({ length: SCAN_PARALLEL }, async () => {
      while (next < folders.length) {
        const dir = folders[next++];
        await readdir(dir);
        if (JSON.parse(await readFile(path.join(dir, 'import.json'), 'utf8')).id) parsed += 1;
      }
    }),
  );
  if (parsed !== count) throw new Error(`the bare scan read ${parsed} of ${count} imports`);
  return { listingMs: performance.now() - t0 };
}

const BARE_PASS = 'bare pass over the files';
const AFTER_CRASH = ' after a crash';
const COLD = ' (cold page cache)';

const DROP_CACHES = '/proc/sys/vm/drop_caches';

/** Empties the page cache (Linux, root): what a start after a reboot or a restore reads comes from the disk. */
async function dropPageCache() {
  await promisify(execFile)('sync');
  await writeFile(DROP_CACHES, '3');
}

/**
 * Interleaved rounds of every subject's start on `site`; one row per subject
 * into `rows`. `cold`: the server(s) and the bare pass are also measured
 * each after `dropPageCache`, their ratio taken to the cold bare pass.
 */
async function measureStarts(site, count, before, cold, rows) {
  const afterCrash = `toa-server${AFTER_CRASH}`;
  const reading = {
    'toa-server': () => timeStart(serveArgs(site), count),
    [afterCrash]: () => forgetCleanStop(site).then(() => timeStart(serveArgs(site), count)),
    ...(before ? { 'toa-server before': () => timeStart(serveArgs(site, before), count) } : {}),
    [BARE_PASS]: () => bareScan(site.domainDir, count),
  };
  // A full run warms up with an untimed start after a crash: the page cache then holds all the server reads
  // (the bare pass reads part of it), and its clean stop leaves the mark the first round starts from. A quick
  // run has no untimed start: its rounds begin with the start after a crash, which leaves that mark itself.
  if (warmUps) await reading[afterCrash]();
  const warm = {
    ...(warmUps ? {} : { [afterCrash]: reading[afterCrash] }),
    ...reading,
    'bare Node server': () => timeStart(['-e', BARE_SERVER], count, { full: false }),
  };
  // after the warm rounds, which a dropped cache would disturb: each cold start empties the cache itself
  const coldStarts = cold ? Object.fromEntries(Object.entries(reading).map(([name, measure]) => [`${name}${COLD}`, () => dropPageCache().then(measure)])) : {};
  const rounds = scaledRounds(count >= 100_000 ? 3 : 5);
  const samples = Object.fromEntries([...Object.keys(warm), ...Object.keys(coldStarts)].map((name) => [name, []]));
  for (const subjects of [warm, coldStarts]) {
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, measure] of Object.entries(subjects)) samples[name].push(await measure());
    }
  }
  const medianOf = (name, key) => {
    const values = samples[name].map((sample) => sample[key]).filter((value) => value !== undefined);
    return values.length ? median(values) : undefined;
  };
  const dateFolders = (await readdir(site.domainDir)).filter((name) => DATE_FOLDER_PATTERN.test(name)).length;
  for (const name of Object.keys(samples)) {
    const [portMs, healthMs, healthOkMs, listingMs] = ['portMs', 'healthMs', 'healthOkMs', 'listingMs'].map((key) => medianOf(name, key));
    const scanMs = medianOf(name.endsWith(COLD) ? `${BARE_PASS}${COLD}` : BARE_PASS, 'listingMs');
    const cell = (value) => (value === undefined ? '—' : fmt(value));
    rows.push([
      count.toLocaleString('en-US'),
      dateFolders.toLocaleString('en-US'),
      name,
      rounds,
      cell(portMs),
      cell(healthMs),
      cell(healthOkMs),
      cell(listingMs),
      listingMs === undefined ? '—' : ratio(listingMs, scanMs),
      listingMs === undefined ? '—' : fmt((listingMs * 1000) / count, 0),
    ]);
  }
}

export async function startup(workDir) {
  const counts = numbersFromEnv('TOA_BENCH_STARTUP', [10_000, 100_000], [2_000]).sort((a, b) => a - b);
  const storeDir = process.env.TOA_BENCH_STORE ?? path.join(os.tmpdir(), 'toa-bench-store');
  const before = process.env.TOA_BENCH_BEFORE;
  const cold = process.env.TOA_BENCH_COLD === '1';
  // refused before the warm rounds, not after them
  if (cold)
    await access(DROP_CACHES, constants.W_OK).catch((error) =>
      Promise.reject(new Error(`TOA_BENCH_COLD=1 needs to write ${DROP_CACHES} (Linux, as root): ${error.code}`)),
    );
  const rows = [];
  for (const count of counts) {
    // one kept store per size, retention off: the imports go back years
    const site = await createSite(path.join(storeDir, `startup-${count}`), { overrides: { dataRetention: '0d' } });
    await forEachStoreSize(workDir, [count], (_server) => measureStarts(site, count, before, cold, rows), { grow: writeStartupImports, site, start: false });
  }
  return {
    title: 'Start-up on a restored store: time from spawn until the port, /api/health and the first listing answer',
    columns: [
      'imports',
      'date folders',
      'subject',
      'rounds',
      'port answers ms',
      'health answers ms',
      'health ok ms',
      'first listing ms',
      'first listing / bare pass',
      'µs per import',
    ],
    rows,
    notes: [
      'medians of interleaved rounds; every time is from spawning the process (Node start included) until the answer, polled every 20 ms',
      'port answers: any answer to GET /api/health?probe=live; health answers: a body in the health shape (`starting`, or a verdict); health ok: 200',
      'toa-server: started after the clean stop of the round before; after a crash: its clean-stop mark removed first, as a crash leaves the data root (the pass lists every pages folder)',
      'bare pass over the files: in the bench process, readdir of each import folder and readFile + JSON.parse of its import.json, 64 at a time',
      ...(cold
        ? [
            'cold page cache: `sync` and /proc/sys/vm/drop_caches before each such start or pass (TOA_BENCH_COLD=1); its ratio is to the bare pass from a cold cache',
          ]
        : []),
    ],
  };
}
