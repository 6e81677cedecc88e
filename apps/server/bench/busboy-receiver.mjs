import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { serveBaseline } from './lib/baseline-server.mjs';

/**
 * The baseline of the large-upload bench, run as its own process:
 * `node:http` + busboy (the multipart parser under multer) storing the one
 * file part of each request durably — temporary, fsync, rename, folder
 * fsync — and nothing else: no hash, no bookkeeping.
 *
 * Usage: node busboy-receiver.mjs <folder>
 */
const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: node busboy-receiver.mjs <folder>');

function store(req) {
  return new Promise((resolve, reject) => {
    const parser = busboy({ headers: req.headers, limits: { files: 1 } });
    let stored;
    parser.on('file', (_field, stream) => {
      const file = path.join(dir, `${randomBytes(8).toString('hex')}.bin`);
      stored = (async () => {
        const handle = await open(`${file}.tmp`, 'wx');
        await pipeline(stream, handle.createWriteStream({ flush: true }));
        await rename(`${file}.tmp`, file);
        const folder = await open(dir, 'r');
        await folder.sync();
        await folder.close();
      })();
      stored.catch(reject);
    });
    parser.on('error', reject);
    parser.on('close', () => (stored ?? Promise.reject(new Error('no file part'))).then(resolve, reject));
    req.pipe(parser);
  });
}

serveBaseline(store);
