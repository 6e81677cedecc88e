import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { residentMemory, resetPeakMemory, startChildServer } from './lib/child-server.mjs';
import { alternate, fmt, median, ratio, scaledRounds } from './lib/measure.mjs';
import { MiB, numbersFromEnv, randomPayload } from './lib/payload.mjs';
import { ApiClient, createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * SPEC §3.4: a page body is streamed to disk, never held whole in memory.
 * Measured from outside: the peak resident memory (VmHWM in /proc) of a
 * freshly started `toa-server serve` while it receives one large page,
 * against a receiver that buffers the body (plain-receiver.mjs buffer).
 * Streaming shows as a growth that does not follow the page size. Each
 * round starts a fresh process, so every figure is the first large upload
 * into a process that has handled only a small warm-up page.
 */

const receiver = fileURLToPath(new URL('./plain-receiver.mjs', import.meta.url));

/** Peak RSS growth of a child server while `upload` runs, in bytes. */
async function peakGrowth(child, upload) {
  const before = await residentMemory(child.pid);
  await resetPeakMemory(child.pid);
  await upload();
  return (await residentMemory(child.pid)).peak - before.rss;
}

/** Starts a fresh receiver in `dir`, warms it up with a small page, then measures one upload of `payload`. */
async function measureFresh(dir, start, payload, warmUp) {
  await mkdir(dir, { recursive: true });
  const { child, upload } = await start(dir);
  try {
    await upload(warmUp);
    return await peakGrowth(child, () => upload(payload));
  } finally {
    await child.stop();
    await rm(dir, { recursive: true });
  }
}

async function startServerReceiver(dir, pageSizeMb) {
  const child = await startToaServer(await createSite(dir, { pageSizeMb }));
  const client = new ApiClient(child.url);
  const id = await client.createImport();
  return { child, upload: (file) => client.uploadPage(id, file) };
}

async function startBufferingReceiver(dir) {
  const child = await startChildServer([receiver, 'buffer', dir]);
  // the very request the server gets (the receiver ignores path and headers)
  const client = new ApiClient(child.url);
  return { child, upload: (file) => client.uploadPage('any', file) };
}

export async function uploadMemory(workDir) {
  const sizesMb = numbersFromEnv('TOA_BENCH_MEMORY_MB', [10, 100, 300]);
  const warmUp = await randomPayload(workDir, 1, 'warm-up');
  const rounds = scaledRounds(3);
  const rows = [];
  let fresh = 0;
  for (const sizeMb of sizesMb) {
    const payload = await randomPayload(workDir, sizeMb);
    // every round starts a receiver of its own: an untimed one first would warm nothing
    const samples = await alternate(
      rounds,
      {
        server: () => measureFresh(path.join(workDir, `run-${fresh++}`), (dir) => startServerReceiver(dir, sizeMb + 1), payload, warmUp),
        buffering: () => measureFresh(path.join(workDir, `run-${fresh++}`), startBufferingReceiver, payload, warmUp),
      },
      { warmUp: false },
    );
    const [serverMb, bufferingMb] = [samples.server, samples.buffering].map((values) => median(values) / MiB);
    const all = (values) => values.map((v) => fmt(v / MiB, 0)).join(', ');
    rows.push([
      `${sizeMb} MB`,
      fmt(serverMb),
      fmt(bufferingMb),
      ratio(serverMb, bufferingMb),
      fmt(serverMb / sizeMb),
      fmt(bufferingMb / sizeMb),
      all(samples.server),
      all(samples.buffering),
    ]);
    await rm(payload);
  }
  return {
    title: 'Memory of one page upload: peak RSS growth of the receiving process',
    columns: [
      'page',
      'toa-server MB',
      'buffering MB',
      'toa-server / buffering',
      'toa-server MB per MB',
      'buffering MB per MB',
      'toa-server rounds MB',
      'buffering rounds MB',
    ],
    rows,
    notes: [
      `medians of ${rounds} interleaved rounds, each a fresh process after a 1 MB warm-up upload`,
      'growth = VmHWM after the upload (peak reset just before it) − VmRSS before it, from /proc/<pid>/status',
    ],
  };
}
