import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, startChildServer } from './lib/child-server.mjs';
import { alternate, fmt, median, ratio, scaledRounds, timed } from './lib/measure.mjs';
import { MiB, numbersFromEnv, randomPayload } from './lib/payload.mjs';
import { ApiClient, createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * Issue 12 row 9: one large page (256 MB by default, TOA_BENCH_LARGE_MB)
 * uploaded through `toa-server serve` — multer, sha256 and size on the way,
 * fsync, rename, import.json — against `node:http` + busboy writing the
 * same file part durably without a hash (busboy-receiver.mjs), each in its
 * own process, sent by the same client, in interleaved rounds. Reported: the
 * client-side time of each, and the CPU time each process spent on it.
 */

const receiver = fileURLToPath(new URL('./busboy-receiver.mjs', import.meta.url));

async function emptyFolder(dir) {
  await Promise.all((await readdir(dir)).map((name) => rm(path.join(dir, name))));
}

/** Milliseconds of `work` and CPU ms the process `pid` spent meanwhile. */
async function timedCpu(pid, work) {
  const before = await cpuSeconds(pid);
  const ms = await timed(work);
  return { ms, cpuMs: ((await cpuSeconds(pid)) - before) * 1000 };
}

export async function largeUpload(workDir) {
  const [sizeMb] = numbersFromEnv('TOA_BENCH_LARGE_MB', [256], [64]);
  const rounds = scaledRounds(5);
  const site = await createSite(path.join(workDir, 'site'), { pageSizeMb: sizeMb + 1 });
  const receiverDir = path.join(workDir, 'receiver');
  await mkdir(receiverDir);
  const payload = await randomPayload(workDir, sizeMb);
  const server = await startToaServer(site);
  const bare = await startChildServer([receiver, receiverDir]);
  const client = new ApiClient(server.url);
  const bareClient = new ApiClient(bare.url);
  try {
    const samples = await alternate(rounds, {
      // a fresh import per round keeps the disk use flat; creating and deleting it is not timed
      server: async () => {
        const id = await client.createImport();
        const sample = await timedCpu(server.pid, () => client.uploadPage(id, payload));
        await client.deleteImport(id);
        return sample;
      },
      bare: async () => {
        const sample = await timedCpu(bare.pid, () => bareClient.uploadPage('any', payload));
        await emptyFolder(receiverDir);
        return sample;
      },
    });
    const of = (name, key) => median(samples[name].map((sample) => sample[key]));
    const [serverMs, bareMs, serverCpu, bareCpu] = [of('server', 'ms'), of('bare', 'ms'), of('server', 'cpuMs'), of('bare', 'cpuMs')];
    const mbPerS = (ms) => fmt((sizeMb * MiB) / 1e6 / (ms / 1000), 0);
    return {
      title: `Large upload: one ${sizeMb} MB page through the server against node:http + busboy writing it durably`,
      columns: ['rounds', 'server ms', 'busboy ms', 'server speed / busboy', 'server MB/s', 'busboy MB/s', 'server CPU ms', 'busboy CPU ms'],
      rows: [[rounds, fmt(serverMs), fmt(bareMs), ratio(bareMs, serverMs), mbPerS(serverMs), mbPerS(bareMs), fmt(serverCpu), fmt(bareCpu)]],
      notes: [
        'server: POST …/documents/1/pages of `toa-server serve` (dist): multer, size and sha256 of the bytes, temporary + fsync, rename, folder fsync, import.json, audit and request log',
        'busboy: busboy-receiver.mjs (node:http + busboy, the part piped to a temporary + fsync, rename, folder fsync; no hash)',
        'client-side time from request to 201, medians of interleaved rounds; speed ratio = busboy ms / server ms; MB = MiB of random bytes, MB/s in 10^6 bytes per second',
      ],
    };
  } finally {
    await Promise.all([server.stop(), bare.stop()]);
    await rm(payload);
  }
}
