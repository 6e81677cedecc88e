import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './lib/child-server.mjs';
import { alternate, fmt, median, ratio, scaledRounds, timed } from './lib/measure.mjs';
import { MiB, numbersFromEnv, randomPayload } from './lib/payload.mjs';
import { ApiClient, createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * Page upload through the whole server — HTTP, multer, the temporary,
 * sha256, fsync, rename, import.json rewrite, audit and request log — against
 * the floor any durable store pays for the same bytes: stream to a
 * temporary, fsync, rename, fsync the folder, in this process. A bare HTTP
 * receiver doing the same durable write (plain-receiver.mjs) splits the
 * difference into what HTTP over loopback costs and what TOA adds.
 */

const receiver = fileURLToPath(new URL('./plain-receiver.mjs', import.meta.url));

/** Fewer rounds for large pages: a 100 MB round costs as much as a hundred 1 MB rounds. */
const roundsFor = (sizeMb) => scaledRounds(Math.min(15, Math.max(5, Math.ceil(100 / sizeMb))));

/** The in-process floor: what `writeNewFileDurable` plus the rename into place cost without a server around them. */
async function durableCopy(source, dir) {
  const tmp = path.join(dir, '.copy.tmp');
  const handle = await open(tmp, 'wx');
  await pipeline(createReadStream(source), handle.createWriteStream({ flush: true }));
  await rename(tmp, path.join(dir, 'page.bin'));
  const folder = await open(dir, 'r');
  await folder.sync();
  await folder.close();
}

async function emptyFolder(dir) {
  await Promise.all((await readdir(dir)).map((name) => rm(path.join(dir, name))));
}

export async function uploadThroughput(workDir) {
  const sizesMb = numbersFromEnv('TOA_BENCH_UPLOAD_MB', [1, 10, 100]);
  const site = await createSite(path.join(workDir, 'site'), { pageSizeMb: Math.max(...sizesMb) + 1 });
  const copyDir = path.join(workDir, 'copy');
  const receiverDir = path.join(workDir, 'receiver');
  await Promise.all([mkdir(copyDir), mkdir(receiverDir)]);
  const server = await startToaServer(site);
  const plain = await startChildServer([receiver, 'stream', receiverDir]);
  const client = new ApiClient(server.url);
  // the very request the server gets (the receiver ignores path and headers)
  const plainClient = new ApiClient(plain.url);
  const rows = [];
  try {
    for (const sizeMb of sizesMb) {
      const payload = await randomPayload(workDir, sizeMb);
      const rounds = roundsFor(sizeMb);
      const samples = await alternate(rounds, {
        // a fresh import per round keeps the page count and disk use flat; creating and deleting it is not timed
        server: async () => {
          const id = await client.createImport();
          const ms = await timed(() => client.uploadPage(id, payload));
          await client.deleteImport(id);
          return ms;
        },
        plainHttp: async () => {
          const ms = await timed(() => plainClient.uploadPage('any', payload));
          await emptyFolder(receiverDir);
          return ms;
        },
        inProcess: async () => {
          const ms = await timed(() => durableCopy(payload, copyDir));
          await emptyFolder(copyDir);
          return ms;
        },
      });
      const [serverMs, plainMs, inProcessMs] = [samples.server, samples.plainHttp, samples.inProcess].map(median);
      const mbPerS = (ms) => fmt((sizeMb * MiB) / 1e6 / (ms / 1000), 0);
      rows.push([
        `${sizeMb} MB`,
        rounds,
        fmt(serverMs),
        fmt(plainMs),
        fmt(inProcessMs),
        ratio(serverMs, inProcessMs),
        ratio(serverMs, plainMs),
        mbPerS(serverMs),
        mbPerS(inProcessMs),
      ]);
      await rm(payload);
    }
  } finally {
    await Promise.all([server.stop(), plain.stop()]);
  }
  return {
    title: 'Page upload: POST …/pages through the server vs the same durable write without it',
    columns: ['page', 'rounds', 'server ms', 'bare HTTP ms', 'in-process ms', 'server / in-process', 'server / bare HTTP', 'server MB/s', 'in-process MB/s'],
    rows,
    notes: [
      'server: `toa-server serve` (dist), client-side time from request to 201: multipart over loopback, temporary + sha256 + fsync, rename, import.json rewrite, audit and request log',
      'bare HTTP: plain-receiver.mjs in its own process, the same multipart request piped unparsed to a temporary, fsync, rename, folder fsync',
      'in-process: the payload file streamed to a temporary, fsync, rename, folder fsync, in the bench process',
      'MB = MiB of random bytes; MB/s in 10^6 bytes per second; medians of interleaved rounds',
    ],
  };
}
