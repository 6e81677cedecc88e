/**
 * A seeded, realistic mailbox for measuring filing suggestions: one clerk's
 * mail from client organisations, in time order, each message with the
 * matter (template and attribute values) it belongs to.
 *
 * - organisations with a mail domain and a few correspondents; more people
 *   join an organisation as time goes on, and new organisations appear;
 * - matters per organisation, each with its own attribute values and a few
 *   words its subjects use; most people write about one matter, some about
 *   several;
 * - threads: a new message starts one, replies and forwards continue it
 *   (the same conversation id), now and then from a colleague;
 * - strangers: senders at public mail domains, some writing about a known
 *   matter (its words in the subject), most about something new.
 *
 * Templates and values fit the test catalogue (invoice and note).
 */

import { seededRandom } from '@toa/fixtures/random';

const SURNAMES =
  'Novak Svoboda Dvorak Cerny Prochazka Kucera Vesely Horak Nemec Marek Pospisil Hajek Jelinek Kral Ruzicka Benes Fiala Sedlacek Dolezal Zeman Kolar Navratil Cermak Urban'.split(
    ' ',
  );
const GIVEN = 'jana petr eva jan lucie tomas marie martin anna pavel tereza jiri klara david hana lukas'.split(' ');
const ORG_WORDS =
  'Lakeside Northwind Contoso Fabrikam Tailspin Wingtip Adatum Litware Proseware Fourth Coho Margie Trey Alpine Humongous Wide Blue Graphic Lucerne Woodgrove Relecloud Bellows Datum Vanarsdel'.split(
    ' ',
  );
const MATTER_WORDS =
  'acquisition merger lease dispute employment licence tender audit refinancing insolvency arbitration trademark patent warranty construction settlement joint-venture restructuring compliance pension'.split(
    ' ',
  );
const CODENAMES =
  'Henderson Falcon Orchid Granite Meridian Aurora Cedar Harbor Summit Atlas Beacon Juniper Sterling Willow Phoenix Cobalt Quartz Maple Onyx Saffron Topaz Raven Birch Ember Lotus Nimbus Pioneer Vertex Zephyr Indigo'.split(
    ' ',
  );
const GENERIC = [
  'draft agreement',
  'comments',
  'signed copy',
  'next steps',
  'invoice',
  'call notes',
  'revised terms',
  'documents for review',
  'timeline',
  'questions',
  'board approval',
  'due diligence',
  'schedule',
  'minutes',
  'proposal',
];
/** The public mail domains strangers write from (server-side, storage/message-keys.ts lists these among others). */
export const PUBLIC = ['gmail.com', 'outlook.com', 'seznam.cz', 'yahoo.com'];

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/**
 * @param {{ seed?: number, messages?: number, user?: string }} options
 * @returns {{ user: string, messages: Array<{ conversationId: string, from: string, to: string[], cc: string[], subject: string, attachments: string[], matter: { key: string, templateId: string, shown: Record<string, unknown> } }> }}
 * `shown`: the matter's values a suggestion should offer (the template's prefilled ones left out).
 */
export function generateMailbox({ seed = 1, messages = 1000, user = 'clerk@acme.example' } = {}) {
  const rand = seededRandom(seed);
  let codename = 0;
  const orgs = [];
  const matters = [];
  const threads = [];
  const out = [];

  const newMatter = (org) => {
    // a codename used again gets a number (Falcon-2): one word of its own, as matter names are
    const name = CODENAMES[codename % CODENAMES.length] + (codename >= CODENAMES.length ? `-${Math.floor(codename / CODENAMES.length) + 1}` : '');
    codename += 1;
    const topic = pick(rand, MATTER_WORDS);
    const invoice = rand() < 0.3;
    const shown = invoice
      ? {
          amount: Math.round(rand() * 90_000) + 1000,
          department: rand() < 0.7 ? 'FIN' : 'HR',
          confidential: rand() < 0.2,
          reference: `${org.code}-${String(1000 + matters.length).slice(-4)}`,
        }
      : { title: `${org.name} – ${name} ${topic}` };
    const matter = { key: `m${matters.length}`, org, words: [name, topic], templateId: invoice ? 'invoice' : 'note', shown };
    matters.push(matter);
    org.matters.push(matter);
    return matter;
  };
  const newPerson = (org) => {
    const given = pick(rand, GIVEN);
    const surname = pick(rand, SURNAMES);
    const address = `${given}.${surname.toLowerCase()}${org.people.length > 5 ? org.people.length : ''}@${org.domain}`;
    // most write about one matter, some about several
    const count = rand() < 0.75 ? 1 : rand() < 0.7 ? 2 : 3;
    const own = [...new Set(Array.from({ length: count }, () => (rand() < 0.2 || org.matters.length === 0 ? newMatter(org) : pick(rand, org.matters))))];
    const person = { name: `${given[0].toUpperCase()}${given.slice(1)} ${surname}`, address, org, matters: own };
    org.people.push(person);
    return person;
  };
  const newOrg = () => {
    const name = ORG_WORDS[orgs.length % ORG_WORDS.length] + (orgs.length >= ORG_WORDS.length ? ` ${Math.floor(orgs.length / ORG_WORDS.length) + 1}` : '');
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '');
    const org = { name, code: slug.slice(0, 2).toUpperCase(), domain: `${slug}.example`, people: [], matters: [] };
    orgs.push(org);
    const people = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < people; i += 1) newPerson(org);
    return org;
  };
  for (let i = 0; i < 6; i += 1) newOrg();

  const subjectOf = (matter) =>
    rand() < 0.8 ? `${matter.words[0]} ${matter.words[1]}: ${pick(rand, GENERIC)}` : `${pick(rand, GENERIC)} (${matter.words[0]})`;
  const message = (thread, from, subject, matter) => {
    const cc = from.org ? from.org.people.filter((p) => p !== from && rand() < 0.3).map((p) => p.address) : [];
    out.push({
      conversationId: thread.id,
      from: `${from.name} <${from.address}>`,
      to: [user],
      cc,
      subject,
      attachments: rand() < 0.4 ? [`${(matter.words[0] ?? 'scan').toLowerCase()}-${Math.floor(rand() * 9) + 1}.pdf`] : [],
      matter: { key: matter.key, templateId: matter.templateId, shown: matter.shown },
    });
  };

  while (out.length < messages) {
    const roll = rand();
    if (roll < 0.4 && threads.length > 0) {
      // a reply or forward in a recent thread, often from a colleague of the sender
      const thread = threads[Math.max(0, threads.length - 1 - Math.floor(rand() * 15))];
      const from = thread.from.org && rand() < 0.3 ? pick(rand, thread.from.org.people) : thread.from;
      message(thread, from, `${rand() < 0.8 ? 'RE' : 'FW'}: ${thread.subject}`, thread.matter);
      continue;
    }
    if (roll < 0.44) newOrg();
    else if (roll < 0.5) newPerson(pick(rand, orgs));
    let from;
    let matter;
    let subject;
    if (rand() < 0.06) {
      // a stranger at a public mail domain: now and then about a known matter, mostly about something new
      const given = pick(rand, GIVEN);
      from = { name: given, address: `${given}.${Math.floor(rand() * 1e6)}@${pick(rand, PUBLIC)}`, org: undefined };
      const known = rand() < 0.3 && matters.length > 0;
      matter = known
        ? pick(rand, matters)
        : { key: `once${out.length}`, words: [], templateId: 'note', shown: { title: `General correspondence ${out.length}` } };
      subject = known ? subjectOf(matter) : `${pick(rand, GENERIC)} ${pick(rand, ['enquiry', 'offer', 'request', 'introduction'])}`;
    } else {
      const org = orgs[orgs.length - 1 - Math.floor(rand() ** 2 * orgs.length)];
      // the newest people of an organisation write more often than its first
      from = org.people[org.people.length - 1 - Math.floor(rand() ** 1.5 * org.people.length)];
      matter = pick(rand, from.matters);
      subject = subjectOf(matter);
    }
    const thread = { id: `conv-${seed}-${threads.length}`, from, subject, matter };
    threads.push(thread);
    message(thread, from, subject, matter);
  }
  return { user, messages: out };
}
