import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alternate, fmt, median, ratio, scaledRounds, timed, warmUps } from './lib/measure.mjs';
import { numbersFromEnv } from './lib/payload.mjs';
import { ApiClient, BENCH_USER, createSite, startToaServer } from './lib/toa-site.mjs';

/**
 * One user's heavy messages must not make everyone wait (issue 9, item 4:
 * "during 40 heavy uploads from one user, another user's 0.24 s upload took
 * 39.9 s"). A greedy user sends TOA_BENCH_FLOOD heavy e-mail pages at once;
 * once the first of them is stored (the rest are then received and waiting
 * for a mail worker) an honest user uploads one ordinary message. Measured:
 * the honest upload's time during the flood against the same upload on an
 * idle server, in interleaved rounds, and how many of the greedy user's
 * stored pages were answered before it.
 */

const CRLF = '\r\n';
const GREEDY_USER = 'greedy@bench.example';
const MESSAGE = 'message/rfc822';

/** A header folded over 250 000 lines (750 kB): about half a second of a mail worker's time, and the page is stored. */
function heavyMessage() {
  return `Subject: heavy${CRLF}X-Folded: a${`${CRLF} b`.repeat(250_000)}${CRLF}${CRLF}body${CRLF}`;
}

/** An ordinary message: a text body and a 256 kB attachment. */
function honestMessage() {
  const attachment = randomBytes(256 * 1024)
    .toString('base64')
    .replace(/.{76}/g, `$&${CRLF}`);
  return [
    'From: Honest <honest@bench.example>',
    'Subject: Invoice for October',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Please find the invoice attached.',
    '--b',
    'Content-Type: application/pdf',
    'Content-Disposition: attachment; filename="invoice.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    attachment,
    '--b--',
    '',
  ].join(CRLF);
}

export async function fairParsing(workDir) {
  const [flood] = numbersFromEnv('TOA_BENCH_FLOOD', [40], [4]);
  const site = await createSite(path.join(workDir, 'site'));
  const heavyFile = path.join(workDir, 'heavy.eml');
  const honestFile = path.join(workDir, 'honest.eml');
  await Promise.all([writeFile(heavyFile, heavyMessage()), writeFile(honestFile, honestMessage())]);
  const server = await startToaServer(site);
  const honest = new ApiClient(server.url, BENCH_USER);
  const greedy = new ApiClient(server.url, GREEDY_USER);
  const storedBefore = [];
  const storedInAll = [];
  const answers = new Map();

  /** The honest upload into a fresh import (creating and deleting it is not timed). */
  const honestUpload = async () => {
    const id = await honest.createImport();
    const ms = await timed(() => honest.uploadPage(id, honestFile, MESSAGE));
    return { ms, done: () => honest.deleteImport(id) };
  };

  const rounds = scaledRounds(5);
  /** flood rounds run, timed or not: the answers are counted over all of them */
  let floods = 0;
  try {
    const samples = await alternate(rounds, {
      quiet: async () => {
        const { ms, done } = await honestUpload();
        await done();
        return ms;
      },
      flood: async () => {
        floods += 1;
        const greedyId = await greedy.createImport();
        let stored = 0;
        let firstStored;
        const someStored = new Promise((resolve) => {
          firstStored = resolve;
        });
        const uploads = Array.from({ length: flood }, () =>
          greedy.tryUploadPage(greedyId, heavyFile, MESSAGE).then((status) => {
            answers.set(status, (answers.get(status) ?? 0) + 1);
            if (status === 201) {
              stored += 1;
              firstStored();
            }
          }),
        );
        const all = Promise.all(uploads);
        await Promise.race([someStored, all]);
        const { ms, done } = await honestUpload();
        storedBefore.push(stored);
        await all;
        storedInAll.push(stored);
        await Promise.all([done(), greedy.deleteImport(greedyId)]);
        return ms;
      },
    });
    const [quietMs, floodMs] = [samples.quiet, samples.flood].map(median);
    const tally = [...answers.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status} × ${fmt(count / floods, 1)}`)
      .join(', ');
    return {
      title: `Fair parsing: an honest user's e-mail upload while another user sends ${flood} heavy messages at once`,
      columns: [
        'greedy uploads',
        'rounds',
        'honest upload, idle server ms',
        'honest upload during the flood ms',
        'during / idle',
        "greedy pages stored before the honest one's",
        'greedy pages stored',
      ],
      rows: [[flood, rounds, fmt(quietMs), fmt(floodMs), ratio(floodMs, quietMs), fmt(median(storedBefore), 0), fmt(median(storedInAll), 0)]],
      notes: [
        'heavy: a header folded over 250 000 lines (750 kB, about 0.5 s of a mail worker each); honest: a text body and a 256 kB attachment',
        "the honest upload starts once the greedy user's first page is stored: the rest are received by then and wait for a mail worker",
        `greedy user's answers per round (mean): ${tally}`,
        `counts over every flood round${warmUps ? ', the untimed warm-up included' : ''}; server defaults (2 mail workers, limits as shipped); times are medians of interleaved rounds`,
      ],
    };
  } finally {
    await server.stop();
  }
}
