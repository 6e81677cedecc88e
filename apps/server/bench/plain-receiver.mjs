import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { serveBaseline } from './lib/baseline-server.mjs';

/**
 * A bare HTTP receiver, run as its own process, that stores each request
 * body durably (temporary, fsync, rename, folder fsync) — the baseline of two benches:
 *
 * - `stream`: pipes the body to the file, no multipart parsing, no hash, no
 *   bookkeeping — what HTTP over loopback plus a durable write cost
 *   (upload-throughput.mjs);
 * - `buffer`: holds the whole body in a Buffer first — what a page upload
 *   costs in memory without streaming (upload-memory.mjs).
 *
 * Usage: node plain-receiver.mjs stream|buffer <folder>
 */
const [mode, dir] = process.argv.slice(2);
if (!['stream', 'buffer'].includes(mode) || !dir) throw new Error('usage: node plain-receiver.mjs stream|buffer <folder>');

async function store(req) {
  const file = path.join(dir, `${randomBytes(8).toString('hex')}.bin`);
  const handle = await open(`${file}.tmp`, 'wx');
  if (mode === 'stream') {
    await pipeline(req, handle.createWriteStream({ flush: true }));
  } else {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    await handle.writeFile(Buffer.concat(chunks));
    await handle.sync();
    await handle.close();
  }
  await rename(`${file}.tmp`, file);
  const folder = await open(dir, 'r');
  await folder.sync();
  await folder.close();
}

serveBaseline(store);
