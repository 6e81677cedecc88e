import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paths } from '@toa/api/routes';
import { cpuSeconds, startChildServer } from './lib/child-server.mjs';
import { fmt, median, ratio, roundMs, scaledRounds } from './lib/measure.mjs';
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
 * workflow.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKFLOW_CLIENTS = 32;
const ROUND_MS = roundMs(3_000);

const ATTRIBUTES = {
  templateId: 'invoice',
  attributes: { supplier: 'Supplier Ltd', invoiceNumber: '2026-0042', amount: 1250.5, currency: 'EUR', invoiceDate: '2026-10-31', department: 'FIN' },
};

/** One filing through `client`: the three calls a task pane makes before Submit. */
async function fileOne(client, page) {
  const id = await client.createImport({ subject: 'Invoice 2026-0042', from: 'Supplier Ltd <billing@supplier.example>' });
  await client.uploadPage(id, page);
  await client.call(paths.document(DOMAIN, id, 1), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ATTRIBUTES) });
}

/** Workflows per second and CPU ms per workflow of the process `pid`, WORKFLOW_CLIENTS loops for ROUND_MS. */
async function round(client, pid, page) {
  const cpuBefore = await cpuSeconds(pid);
  const end = performance.now() + ROUND_MS;
  const started = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: WORKFLOW_CLIENTS }, async () => {
      while (performance.now() < end) {
        await fileOne(client, page);
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
  const samples = { server: [], bare: [] };
  try {
    // one untimed round each: JIT, connections, the first date folder
    for (const [client, pid] of Object.values(subjects)) await round(client, pid, page);
    for (let i = 0; i < rounds; i += 1) {
      for (const [name, [client, pid]] of Object.entries(subjects)) samples[name].push(await round(client, pid, page));
    }
  } finally {
    await Promise.all([server.stop(), bare.stop()]);
  }
  const of = (name, key) => median(samples[name].map((sample) => sample[key]));
  const [serverRate, bareRate, serverCpu, bareCpu] = [of('server', 'rate'), of('bare', 'rate'), of('server', 'cpuMs'), of('bare', 'cpuMs')];
  return {
    title: 'Filing workflow: create + 50 kB page + attributes, 32 clients, against bare Express + multer with the same durability',
    columns: [
      'rounds',
      'server workflows/s',
      'bare workflows/s',
      'server / bare',
      'server CPU ms per workflow',
      'bare CPU ms per workflow',
      'CPU server / bare',
    ],
    rows: [[rounds, fmt(serverRate), fmt(bareRate), ratio(serverRate, bareRate), fmt(serverCpu), fmt(bareCpu), ratio(serverCpu, bareCpu)]],
    notes: [
      `${WORKFLOW_CLIENTS} concurrent keep-alive loops for ${ROUND_MS / 1000} s a round, each filing one import: POST /api/import/:domain, POST …/documents/1/pages (50 kB, multipart), PUT …/documents/1 (template and six attributes)`,
      'server: `toa-server serve` (dist), log level info, dev identity; bare: bare-workflow.mjs (Express + multer, temporary + fsync + rename + folder fsync for every file, 8 fsyncs a workflow)',
      'medians of interleaved rounds; CPU = user + system time of the answering process over the round, divided by the workflows it completed',
    ],
  };
}
