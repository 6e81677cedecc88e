import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { paths } from '@toa/api/routes';
import { fmt, median, scaledCalls, timed } from './lib/measure.mjs';
import { numbersFromEnv } from './lib/payload.mjs';
import { submittedImport } from './lib/stored-import.mjs';
import { ApiClient, BENCH_USER, createSite, DOMAIN, startToaServer } from './lib/toa-site.mjs';
import { generateMailbox } from './mailbox/generate.mjs';

/**
 * `POST /api/import/:domain/suggestions` at a domain of many imports: the
 * generated mailbox (bench/mailbox) written as import.json files, one a
 * minute back from now, as a restore would put them (only import.json: the
 * suggestions read nothing else), then the server started on them. Measured:
 * the first request (it waits for the index build), then suggestions for
 * messages of the mailbox against GET /api/me, one after the other.
 */
const ROUNDS = scaledCalls(200);

async function writeMailbox(domainDir, count) {
  const { messages } = generateMailbox({ seed: 11, messages: count, user: BENCH_USER });
  const now = Date.now();
  for (const [i, message] of messages.entries()) {
    const iso = new Date(now - (count - i) * 60_000).toISOString();
    const date = iso.slice(0, 10);
    const folder = `${iso.slice(11, 13)}${iso.slice(14, 16)}-${randomBytes(4).toString('hex')}`;
    const dir = path.join(domainDir, date, folder);
    await mkdir(path.join(dir, 'doc-1', 'pages'), { recursive: true });
    const { matter, attachments: _names, ...source } = message;
    // the sample catalogue's contract template: its title comes from the subject, the rest from the matter
    const attributes = { title: message.subject, contractNumber: `C-2026/${String(1000 + Number(matter.key.replace(/\D/g, '') % 9000))}` };
    const current = submittedImport({
      iso,
      folder,
      user: BENCH_USER,
      userName: 'Bench User',
      source,
      documents: [{ n: 1, templateId: 'contract', attributes, pages: [] }],
    });
    await writeFile(path.join(dir, 'import.json'), JSON.stringify(current));
  }
  return messages;
}

export async function suggestions(workDir) {
  const [count] = numbersFromEnv('TOA_BENCH_SUGGESTIONS', [100_000], [1_000]);
  const site = await createSite(path.join(workDir, 'site'));
  const messages = await writeMailbox(site.domainDir, count);
  const server = await startToaServer(site);
  const client = new ApiClient(server.url);
  const ask = (message) => {
    const { matter: _truth, ...facts } = message;
    return client.call(paths.suggestions(DOMAIN), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(facts) });
  };
  try {
    const firstMs = await timed(() => ask(messages[0]));
    const askMs = [];
    const meMs = [];
    let offered = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const message = messages[Math.floor((round * 7919) % messages.length)];
      askMs.push(
        await timed(async () => {
          offered += (await ask(message)).suggestions.length > 0 ? 1 : 0;
        }),
      );
      meMs.push(await timed(() => client.me()));
    }
    const sorted = [...askMs].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(sorted.length * 0.95)];
    return {
      title: 'Filing suggestions: POST /api/import/:domain/suggestions over the in-memory index vs GET /api/me',
      columns: [
        'imports',
        'rounds',
        'first request ms (index build)',
        'suggestions ms (median)',
        'suggestions ms (p95)',
        'GET /api/me ms',
        'answers with a suggestion',
      ],
      rows: [[count, ROUNDS, fmt(firstMs), fmt(median(askMs)), fmt(p95), fmt(median(meMs)), `${offered} of ${ROUNDS}`]],
      notes: ['client-side times over loopback HTTP, one request at a time; the messages asked about are of the mailbox itself (seed 11)'],
    };
  } finally {
    await server.stop();
  }
}
