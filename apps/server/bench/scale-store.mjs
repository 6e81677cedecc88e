import { mix32 } from '../dist/storage/slot-table.js';
import { submittedImport, writeImports } from './lib/stored-import.mjs';
import { BENCH_USER } from './lib/toa-site.mjs';

/**
 * A large store as a restore would leave it: per import folder its
 * `import.json` and its page's file, `doc-1/pages/page-1.bin` (empty: no
 * bench reads it), 1 000 imports a day back from a fixed instant, of many users. The
 * bench user owns every tenth of the newest 10 000 (1 000 imports at any
 * store size), so what they see should not change as the store grows. Every
 * import is described as the task pane describes a message (Message-ID,
 * subject, sender, recipients, a conversation id of ~100 characters) and
 * filed under the sample catalogue's contract template; one in a hundred
 * has 200 recipients (an 11 KB `source`). Deterministic: import i is the
 * same in every run.
 */

/** The instant import 0 was created at (imports go back from it); fixed, so a kept store stays valid. */
export const EPOCH = Date.parse('2026-11-01T12:00:00.000Z');
const DAY_MS = 86_400_000;
const PER_DAY = 1000;
export const OTHER_USERS = 5000;
const WORDS = 'lease audit tender merger licence dispute warranty pension patent settlement'.split(' ');
const CODENAMES = 'Henderson Falcon Orchid Granite Meridian Aurora Cedar Harbor Summit Atlas Beacon Juniper Sterling Willow Phoenix'.split(' ');
const GIVEN = 'jana petr eva jan lucie tomas marie martin anna pavel'.split(' ');
const SURNAMES = 'novak svoboda dvorak cerny prochazka kucera vesely horak nemec marek'.split(' ');

export function ownerOf(i) {
  return i < 10_000 && i % 10 === 0 ? BENCH_USER : `user${i % OTHER_USERS}@bench.example`;
}

/** The Message-ID, sender, recipients, subject and conversation of import i's message. */
export function messageOf(i) {
  const hash = mix32(i + 1);
  const org = `org${hash % 400}.example`;
  const person = `${GIVEN[hash % GIVEN.length]}.${SURNAMES[(hash >>> 8) % SURNAMES.length]}`;
  const matter = `${CODENAMES[(hash >>> 4) % CODENAMES.length]}-${hash % 97}`;
  const thread = Math.floor(i / 3);
  const to = i % 100 === 7 ? Array.from({ length: 200 }, (_, k) => `Recipient ${k} <recipient.${k}@${org}>`) : [ownerOf(i)];
  return {
    internetMessageId: `<${hash.toString(16)}.${i}@mail.${org}>`,
    subject: `${i % 3 === 0 ? '' : 'RE: '}${matter} ${WORDS[hash % WORDS.length]} ${i}`,
    from: `${person} <${person}@${org}>`,
    to,
    conversationId: `AAQkADAwATM0MDAAMS1iNjA4LTIxOWUtMDACLTAwCgAQA${mix32(thread).toString(16).padStart(8, '0')}${'x'.repeat(48)}`,
    matter,
  };
}

function importOf(i) {
  const at = new Date(EPOCH - Math.floor((i * DAY_MS) / PER_DAY));
  const iso = at.toISOString();
  const date = iso.slice(0, 10);
  const folder = `${iso.slice(11, 13)}${iso.slice(14, 16)}-${mix32(i).toString(16).padStart(8, '0')}`;
  const { matter, ...source } = messageOf(i);
  const user = ownerOf(i);
  return {
    date,
    folder,
    current: submittedImport({
      iso,
      folder,
      user,
      source: { ...source, receivedAt: iso },
      documents: [
        {
          n: 1,
          templateId: 'contract',
          attributes: { title: source.subject, contractNumber: `C-2026/${matter}` },
          pages: [{ m: 1, filename: 'message.eml', size: 40_000 + (i % 5000), contentType: 'message/rfc822', sha256: mix32(i).toString(16).padStart(64, '0') }],
        },
      ],
      batchId: `FS-${mix32(i).toString(16)}`,
    }),
  };
}

/** Writes imports `from`..`to` - 1 of the scale store into `domainDir`. */
export const writeScaleImports = (domainDir, from, to) => writeImports(domainDir, from, to, importOf, { withPage: true });

/** What `writeScaleImports` writes per import, as a kept store's `generated.json` names it (a store written otherwise is written anew). */
export const SCALE_LAYOUT = 'import.json, doc-1/pages/page-1.bin';
