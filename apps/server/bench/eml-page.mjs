import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MESSAGE_CONTENT_TYPE } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { Splitter } from '@zone-eu/mailsplit';
import { residentMemory, resetPeakMemory } from './lib/child-server.mjs';
import { attachmentMessage } from './lib/eml-payload.mjs';
import { alternate, fmt, median, ratio, scaledRounds, timed, warmUps } from './lib/measure.mjs';
import { MiB, numbersFromEnv } from './lib/payload.mjs';
import { ApiClient, createSite, DOMAIN, startToaServer } from './lib/toa-site.mjs';

/**
 * Issue 12 rows 7 and 8, on one message of `TOA_BENCH_EML_MB` MiB with
 * `TOA_BENCH_EML_ATTACHMENTS` base64 attachments (eml-payload.mjs):
 *
 * - upload: the message posted as a page (`message/rfc822`: received,
 *   parsed into its sidecar, stored) against the very same bytes posted as
 *   `application/octet-stream` (received and stored, nothing parsed), with
 *   the peak RSS growth of the server process during each;
 * - extract: every attachment taken out of the stored message
 *   (`POST …/extract`: parts decoded into their files, the message rewritten
 *   without them, its sidecar rebuilt, all durable) against mailsplit
 *   decoding the same parts alone in the bench process, each into a flushed
 *   file.
 */

/** Peak RSS growth of the server process while `work` runs, in bytes. */
async function peakGrowth(pid, work) {
  const before = await residentMemory(pid);
  await resetPeakMemory(pid);
  await work();
  return (await residentMemory(pid)).peak - before.rss;
}

/**
 * Peak RSS growth of a freshly started server receiving `message` as
 * `contentType`, after a warm-up upload of `warmUp` as an e-mail (so that a
 * mail worker runs already, as on any server that has parsed a message): a
 * server that has handled large pages before keeps some of their memory, and
 * its growth would understate the next one's.
 */
async function freshGrowth(dir, file, warmUp, contentType, sizeMb) {
  const server = await startToaServer(await createSite(dir, { pageSizeMb: sizeMb + 1 }));
  try {
    const client = new ApiClient(server.url);
    const id = await client.createImport();
    await client.uploadPage(id, warmUp, MESSAGE_CONTENT_TYPE);
    return await peakGrowth(server.pid, () => client.uploadPage(id, file, contentType));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true });
  }
}

/** mailsplit alone: every attachment of `file` decoded into its own flushed file in `dir`. */
async function decodeAttachments(file, dir) {
  const writes = [];
  let current;
  const sink = new Writable({
    objectMode: true,
    write(chunk, _encoding, callback) {
      if (chunk.type === 'body' && current?.node === chunk.node) {
        if (current.decoder.write(chunk.value)) callback();
        else current.decoder.once('drain', () => callback());
        return;
      }
      current?.decoder.end();
      current = undefined;
      if (chunk.type === 'node' && chunk.disposition === 'attachment') {
        const decoder = chunk.getDecoder();
        current = { node: chunk, decoder };
        writes.push(open(path.join(dir, `part-${writes.length + 1}.bin`), 'wx').then((handle) => pipeline(decoder, handle.createWriteStream({ flush: true }))));
      }
      callback();
    },
    final(callback) {
      current?.decoder.end();
      callback();
    },
  });
  await pipeline(createReadStream(file), new Splitter({ ignoreEmbedded: true }), sink);
  await Promise.all(writes);
  return writes.length;
}

export async function emlPage(workDir) {
  const [sizeMb] = numbersFromEnv('TOA_BENCH_EML_MB', [50], [2]);
  const [attachments] = numbersFromEnv('TOA_BENCH_EML_ATTACHMENTS', [20]);
  const message = await attachmentMessage(workDir, { sizeMb, attachments });
  const site = await createSite(path.join(workDir, 'site'), { pageSizeMb: sizeMb + 1 });
  const decodeDir = path.join(workDir, 'decoded');
  await mkdir(decodeDir);
  const server = await startToaServer(site);
  const client = new ApiClient(server.url);
  // the same bytes under a name that is not `.eml`: sent as application/octet-stream, an `.eml` is taken for a message
  const sameBytes = path.join(workDir, 'same-bytes.bin');
  await link(message, sameBytes);
  const warmUp = await attachmentMessage(workDir, { sizeMb: 1, attachments: 2 });
  const rounds = scaledRounds(7);
  const memoryRounds = scaledRounds(3);
  const rows = [];
  try {
    // a fresh import per round keeps the page count and disk use flat; creating and deleting it is not timed
    const upload = async (file, contentType) => {
      const id = await client.createImport();
      let page;
      const ms = await timed(async () => {
        page = await client.uploadPage(id, file, contentType);
      });
      await client.deleteImport(id);
      if (page.contentType !== contentType) throw new Error(`${path.basename(file)} was stored as ${page.contentType}, not ${contentType}`);
      return ms;
    };
    const uploads = await alternate(rounds, {
      eml: () => upload(message, MESSAGE_CONTENT_TYPE),
      plain: () => upload(sameBytes, 'application/octet-stream'),
    });
    let fresh = 0;
    // every round starts servers of its own (the message is in the page cache from the uploads above)
    const growth = await alternate(
      memoryRounds,
      {
        eml: () => freshGrowth(path.join(workDir, `fresh-${fresh++}`), message, warmUp, MESSAGE_CONTENT_TYPE, sizeMb),
        plain: () => freshGrowth(path.join(workDir, `fresh-${fresh++}`), sameBytes, warmUp, 'application/octet-stream', sizeMb),
      },
      { warmUp: false },
    );
    const [emlMs, plainMs] = [uploads.eml, uploads.plain].map(median);
    const [emlMb, plainMb] = [growth.eml, growth.plain].map((values) => median(values) / MiB);
    const all = (values) => values.map((value) => fmt(value / MiB, 0)).join(', ');
    rows.push([
      'upload',
      `${MESSAGE_CONTENT_TYPE} page`,
      'same bytes as application/octet-stream',
      rounds,
      fmt(emlMs),
      fmt(plainMs),
      ratio(emlMs, plainMs),
      `${fmt(emlMb)} / ${fmt(plainMb)} (rounds: ${all(growth.eml)} / ${all(growth.plain)})`,
    ]);

    let extracted = 0;
    let decoded = 0;
    const extracts = await alternate(rounds, {
      server: async () => {
        const id = await client.createImport();
        await client.uploadPage(id, message, MESSAGE_CONTENT_TYPE);
        const init = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' };
        let document;
        const ms = await timed(async () => {
          document = await client.call(paths.extract(DOMAIN, id, 1, 1), init, 201);
        });
        extracted = document.pages.length;
        await client.deleteImport(id);
        return ms;
      },
      mailsplit: async () => {
        const ms = await timed(async () => {
          decoded = await decodeAttachments(message, decodeDir);
        });
        await Promise.all((await readdir(decodeDir)).map((name) => rm(path.join(decodeDir, name))));
        return ms;
      },
    });
    if (extracted !== attachments || decoded !== attachments) throw new Error(`extracted ${extracted} and decoded ${decoded} parts, not ${attachments}`);
    const [extractMs, decodeMs] = [extracts.server, extracts.mailsplit].map(median);
    rows.push([
      'extract',
      `POST …/extract, all ${attachments}`,
      'mailsplit decoding them alone, in-process',
      rounds,
      fmt(extractMs),
      fmt(decodeMs),
      ratio(extractMs, decodeMs),
      '',
    ]);
  } finally {
    await server.stop();
  }
  return {
    title: `EML page: upload and extraction of a ${sizeMb} MB message with ${attachments} base64 attachments`,
    columns: ['work', 'subject', 'baseline', 'rounds', 'subject ms', 'baseline ms', 'subject / baseline', 'peak RSS growth MB (subject / baseline)'],
    rows,
    notes: [
      `subject and baseline alternate; medians of the rounds${warmUps ? ' after one untimed warm-up each' : ''}`,
      'upload: client-side time from request to 201 of `toa-server serve` (dist); a fresh import per round',
      'extract: client-side time of `POST …/pages/1/extract` with no list (every attachment that is not inline), on a message uploaded untimed just before',
      'mailsplit alone: Splitter → each attachment part’s decoder → its own file, flushed, in the bench process',
      `peak RSS growth: VmHWM (reset just before the upload) − VmRSS before it, of a freshly started server that has stored one 1 MB e-mail page; median of ${memoryRounds} interleaved rounds`,
    ],
  };
}
