import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paths } from '@toa/api/routes';
import { cpuSeconds, startChildServer } from './lib/child-server.mjs';
import { alternate, fmt, median, quick, ratio, roundMs, scaledRounds } from './lib/measure.mjs';
import { randomPayload } from './lib/payload.mjs';
import { ApiClient, createSite, DOMAIN, startToaServer } from './lib/toa-site.mjs';

/**
 * Issue 12 row 5: the filing workflow — create an import, add a 50 kB page,
 * set the document's template and attributes — by WORKFLOW_CLIENTS clients at
 * once, through `toa-server serve` against bare Express + multer doing the
 * same three calls with the same fsync/rename durability
 * (bare-workflow.mjs), each in its own process, in interleaved rounds of
 * ROUND_MS. Reported: completed workflows per second, and the CPU time
 * (user + system, from /proc/<pid>/stat) the server process spent per
 * workflow; then the same for its calls apart (WORKS), to show which of
 * them holds a gap.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKFLOW_CLIENTS = 32;
const ROUND_MS = roundMs(3_000);
/**
 * Untimed rounds of each server before the workflow's timed ones: under this
 * load both servers' rates climb for about the first 30 s (each about
 * doubles, TOA's a little more), so one round measured the warm-up rather
 * than a running site.
 */
const WORKFLOW_WARM_UP_ROUNDS = 5;
const CALL_ROUND_MS = roundMs(1_500);

const ATTRIBUTES = {
  templateId: 'invoice',
  attributes: { supplier: 'Supplier Ltd', invoiceNumber: '2026-0042', amount: 1250.5, currency: 'EUR', invoiceDate: '2026-10-31', department: 'FIN' },
};

/** The document's template and attributes, as the task pane sets them. */
const setAttributes = (client, id) =>
  client.call(paths.document(DOMAIN, id, 1), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ATTRIBUTES) });

/** One filing through `client`: the three calls a task pane makes before Submit (`page`: the path of the page's file). */
export async function fileOne(client, page) {
  const id = await client.createImport({ subject: 'Invoice 2026-0042', from: 'Supplier Ltd <billing@supplier.example>' });
  await client.uploadPage(id, page);
  await setAttributes(client, id);
}

/**
 * The workflow and its calls measured apart, to show where a gap is: each
 * `run(client, loop, page)` is what client loop `loop` repeats (the
 * attributes call on an import of its own, made before the rounds).
 */
const WORKS = [
  { name: 'workflow: create + page + attributes', run: (client, _loop, page) => fileOne(client, page) },
  { name: 'create alone', run: (client) => client.createImport({ subject: 'Invoice 2026-0042', from: 'Supplier Ltd <billing@supplier.example>' }) },
  { name: 'attributes alone (PUT of one document)', run: (client, loop) => setAttributes(client, loop.id) },
  { name: 'create + page', run: async (client, _loop, page) => client.uploadPage(await client.createImport(), page) },
];

/** Completed works per second and CPU ms per work of the process `pid`: `work(loop)` repeated by every loop for `ms`. */
async function round(pid, loops, ms, work) {
  const cpuBefore = await cpuSeconds(pid);
  const end = performance.now() + ms;
  const started = performance.now();
  let done = 0;
  await Promise.all(
    loops.map(async (loop) => {
      while (performance.now() < end) {
        await work(loop);
        done += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = ((await cpuSeconds(pid)) - cpuBefore) * 1000;
  return { rate: done / seconds, cpuMs: cpuMs / done };
}

export async function workflow(workDir) {
  const rounds = scaledRounds(5);
  const site = await createSite(path.join(workDir, 'site'));
  const page = await randomPayload(workDir, 50 / 1024, 'page-50kb');
  const server = await startToaServer(site);
  const bare = await startChildServer([path.join(here, 'bare-workflow.mjs'), path.join(workDir, 'bare')]);
  const subjects = { server: [new ApiClient(server.url), server.pid], bare: [new ApiClient(bare.url), bare.pid] };
  // a quick run smoke-tests the workflow alone, not its calls apart
  const works = quick ? WORKS.slice(0, 1) : WORKS;
  const rows = [];
  try {
    const loops = {};
    for (const [name, [client]] of Object.entries(subjects)) {
      loops[name] = [];
      for (let i = 0; i < WORKFLOW_CLIENTS; i += 1) loops[name].push({ id: await client.createImport() });
    }
    for (const [index, { name: work, run }] of works.entries()) {
      // the workflow is the row of the issue; its calls apart get rounds of half the length
      const ms = index === 0 ? ROUND_MS : CALL_ROUND_MS;
      const measure = (name) => {
        const [client, pid] = subjects[name];
        return round(pid, loops[name], ms, (loop) => run(client, loop, page));
      };
      // untimed rounds first (not in a quick run): JIT, connections, the first date folder; the workflow, the first load, more of them
      const warmUpRounds = index === 0 ? WORKFLOW_WARM_UP_ROUNDS : 1;
      const samples = await alternate(rounds, { server: () => measure('server'), bare: () => measure('bare') }, { warmUpRounds });
      const of = (name, key) => median(samples[name].map((sample) => sample[key]));
      const [serverRate, bareRate, serverCpu, bareCpu] = [of('server', 'rate'), of('bare', 'rate'), of('server', 'cpuMs'), of('bare', 'cpuMs')];
      rows.push([work, rounds, fmt(serverRate), fmt(bareRate), ratio(serverRate, bareRate), fmt(serverCpu), fmt(bareCpu), ratio(serverCpu, bareCpu)]);
    }
  } finally {
    await Promise.all([server.stop(), bare.stop()]);
  }
  return {
    title: 'Filing workflow: create + 50 kB page + attributes, 32 clients, against bare Express + multer with the same durability',
    columns: ['work', 'rounds', 'server /s', 'bare /s', 'server / bare', 'server CPU ms each', 'bare CPU ms each', 'CPU server / bare'],
    rows,
    notes: [
      `${WORKFLOW_CLIENTS} concurrent keep-alive loops for ${ROUND_MS / 1000} s a round${works.length > 1 ? ` (its calls apart: ${CALL_ROUND_MS / 1000} s)` : ''}${quick ? '' : `, after ${WORKFLOW_WARM_UP_ROUNDS} untimed rounds of each server (one before each call apart)`}, each filing one import: POST /api/import/:domain, POST …/documents/1/pages (50 kB, multipart), PUT …/documents/1 (template and six attributes)`,
      'server: `toa-server serve` (dist), log level info, dev identity; bare: bare-workflow.mjs (Express + multer, temporary + fsync + rename + folder fsync for every file, 8 fsyncs a workflow)',
      'medians of interleaved rounds; CPU = user + system time of the answering process over the round, divided by the works it completed',
    ],
  };
}
