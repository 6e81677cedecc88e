import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChildServer } from './lib/child-server.mjs';
import { randomPayload } from './lib/payload.mjs';
import { markdownTable } from './lib/table.mjs';
import { ApiClient, createSite, serveArgs } from './lib/toa-site.mjs';
import { fileOne } from './workflow.mjs';

/**
 * Instructions a filing costs, counted instead of timed: an A/B of a change
 * to the server that the spread of timed rounds on a shared machine would
 * hide (docs/benchmarks.md, "Counting instructions"). The filing workflow of
 * the workflow bench (create + 50 kB page + attributes) against the built
 * server and its bare baseline (bare-workflow.mjs), each in its own process
 * under valgrind's callgrind, which counts the instructions every thread
 * executes in user space (the kernel's work and what a cache miss costs are
 * not in the count). After `--warm` workflows uncounted, so that the JIT has
 * settled, counting is switched on for `--count` workflows of 4 clients and
 * off again (`callgrind_control`). Printed: instructions a workflow on the
 * main thread, where JavaScript runs (within about 2 % from one run to the
 * next), and on all threads (the thread pool, V8's compiler and collector
 * threads, which vary more).
 *
 * Not part of `npm run bench`: it needs valgrind (the Debian package
 * `valgrind`) and takes about two minutes a subject.
 *
 * Usage: node bench/instructions.mjs [--warm 300] [--count 100] [--keep]
 *          [--server-package DIR]...   another built server package to count beside this one (a build before a change)
 * `--keep` leaves callgrind's files (one a thread, `-01` the main one) for
 * `callgrind_annotate`, and prints where they are.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENTS = 4;

const { values: options } = parseArgs({
  options: {
    warm: { type: 'string', default: '300' },
    count: { type: 'string', default: '100' },
    'server-package': { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
  },
});
const warm = Number(options.warm);
const count = Number(options.count);
if (!(Number.isInteger(warm) && warm % CLIENTS === 0 && Number.isInteger(count) && count > 0 && count % CLIENTS === 0)) {
  throw new Error(`--warm and --count must be multiples of ${CLIENTS} (the clients), --count at least ${CLIENTS}`);
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('instructions.mjs needs valgrind (Debian: apt-get install valgrind)');
  process.exit(2);
}

/** The counts callgrind wrote under `prefix`, summed by thread (`-01` is the main thread), in instructions. */
async function countsByThread(prefix) {
  const byThread = new Map();
  const dir = path.dirname(prefix);
  for (const name of await readdir(dir)) {
    if (!name.startsWith(path.basename(prefix))) continue;
    const thread = /-(\d+)$/.exec(name)?.[1];
    const total = /^totals: (\d+)/m.exec(await readFile(path.join(dir, name), 'utf8'))?.[1];
    if (thread && total) byThread.set(thread, (byThread.get(thread) ?? 0) + Number(total));
  }
  return byThread;
}

/** `count` workflows counted, after `warm` not counted, against the server `args` start; instructions a workflow by thread. */
async function countSubject(name, args, workDir, page) {
  const prefix = path.join(workDir, `callgrind-${name}.out`);
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    '--separate-threads=yes',
    '--smc-check=all-non-file',
    `--callgrind-out-file=${prefix}`,
  ];
  const server = await startChildServer(args, { wrapper });
  try {
    const client = new ApiClient(server.url);
    const workflows = (n) =>
      Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          for (let i = 0; i < n / CLIENTS; i += 1) await fileOne(client, page);
        }),
      );
    await workflows(warm);
    execFileSync('callgrind_control', ['--instr=on', String(server.pid)], { stdio: 'ignore' });
    await workflows(count);
    execFileSync('callgrind_control', ['--instr=off', String(server.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' });
  } finally {
    // the counts are dumped: a server slow to stop under valgrind may be killed without loss
    await server.stop();
  }
  const byThread = await countsByThread(prefix);
  const all = [...byThread.values()].reduce((sum, n) => sum + n, 0);
  return { main: (byThread.get('01') ?? 0) / count, all: all / count };
}

const workDir = await mkdtemp(path.join(process.env.TOA_BENCH_DIR ?? os.tmpdir(), 'toa-instructions-'));
try {
  const page = await randomPayload(workDir, 50 / 1024, 'page-50kb');
  const subjects = [['bare', [path.join(here, 'bare-workflow.mjs'), path.join(workDir, 'bare')]]];
  const packages = [undefined, ...options['server-package'].map((dir) => path.resolve(dir))];
  for (const [index, packageDir] of packages.entries()) {
    const site = await createSite(path.join(workDir, `site-${index}`));
    subjects.push([packageDir ? `server (${path.basename(packageDir)})` : 'server', serveArgs(site, packageDir)]);
  }
  const rows = [];
  let bare;
  for (const [index, [name, args]] of subjects.entries()) {
    const counted = await countSubject(String(index), args, workDir, page);
    bare ??= counted;
    const millions = (n) => (n / 1e6).toFixed(2);
    rows.push([name, millions(counted.main), `${(counted.main / bare.main).toFixed(2)}×`, millions(counted.all), `${(counted.all / bare.all).toFixed(2)}×`]);
  }
  console.log(
    markdownTable({
      title: 'Instructions a filing workflow: create + 50 kB page + attributes, counted by callgrind',
      columns: ['subject', 'main thread, millions a workflow', 'main / bare', 'all threads, millions', 'all / bare'],
      rows,
      notes: [`${count} workflows counted after ${warm} uncounted, ${CLIENTS} clients; user-space instructions only (valgrind --tool=callgrind)`],
    }),
  );
} finally {
  if (options.keep) console.log(`callgrind's files (callgrind_annotate <file>; -01 is the main thread): ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
