import { isDeepStrictEqual } from 'node:util';
import { PUBLIC } from './generate.mjs';

/** The four kinds of message the accuracy is reported for, as issue 11 names them. */
export const CATEGORIES = {
  conversation: '(a) later message of a filed conversation',
  knownSender: '(b) new thread from a known sender',
  knownOrganisation: '(c) new sender from a known organisation',
  unknown: '(d) unknown sender',
};

const addressOf = (from) => /<([^>]+)>/.exec(from)?.[1] ?? from;

/**
 * Files a generated mailbox in time order through a running server, as the
 * pane would: for each message, ask for suggestions, then create the import
 * and describe it where the ground truth says. `request(path, init)` calls
 * the server as the mailbox's user. Answers, per category, how often the
 * first suggestion was right (top-1), the right one was among the first
 * three (top-3), and a suggestion was offered that was wrong (its first one
 * not the truth). Where the matter was never filed before, the right answer
 * is no suggestion.
 */
export async function replaySuggestions({ request, domain, mailbox, today }) {
  const conversations = new Set();
  const senders = new Set();
  const organisations = new Set();
  const filedMatters = new Set();
  const tally = Object.fromEntries(Object.keys(CATEGORIES).map((key) => [key, { messages: 0, top1: 0, top3: 0, wrong: 0, none: 0 }]));
  const json = (method, body) => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const latencies = [];

  for (const message of mailbox.messages) {
    const sender = addressOf(message.from).toLowerCase();
    const organisation = sender.split('@')[1];
    const category = conversations.has(message.conversationId)
      ? 'conversation'
      : senders.has(sender)
        ? 'knownSender'
        : !PUBLIC.includes(organisation) && organisations.has(organisation)
          ? 'knownOrganisation'
          : 'unknown';
    const { matter, ...facts } = message;
    const started = performance.now();
    const answer = await request(`/api/import/${domain}/suggestions`, json('POST', { ...facts, limit: 3 }));
    latencies.push(performance.now() - started);
    if (answer.status !== 200) throw new Error(`suggestions answered ${answer.status}: ${await answer.text()}`);
    const { suggestions } = await answer.json();
    const expected = filedMatters.has(matter.key) ? matter : undefined;
    const right = (s) => expected !== undefined && s.templateId === expected.templateId && isDeepStrictEqual(s.attributes, expected.shown);
    const counts = tally[category];
    counts.messages += 1;
    if (expected === undefined) {
      if (suggestions.length === 0) {
        counts.top1 += 1;
        counts.top3 += 1;
        counts.none += 1;
      } else counts.wrong += 1;
    } else {
      if (suggestions.length > 0 && right(suggestions[0])) counts.top1 += 1;
      else if (suggestions.length > 0) counts.wrong += 1;
      else counts.none += 1;
      if (suggestions.slice(0, 3).some(right)) counts.top3 += 1;
    }

    const created = await request(`/api/import/${domain}`, json('POST', { source: { ...facts, attachments: undefined } }));
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
    const { id } = await created.json();
    const prefilled = matter.templateId === 'invoice' ? { supplier: message.from.replace(/\s*<[^>]*>/, ''), invoiceDate: today } : {};
    const described = await request(
      `/api/import/${domain}/${id}/documents/1`,
      json('PUT', { templateId: matter.templateId, attributes: { ...matter.shown, ...prefilled } }),
    );
    if (described.status !== 200) throw new Error(`describing answered ${described.status}: ${await described.text()}`);
    conversations.add(message.conversationId);
    senders.add(sender);
    organisations.add(organisation);
    filedMatters.add(matter.key);
  }
  return { tally, latencies };
}

/** Percent, one decimal; `undefined` for none. */
export function percent(part, whole) {
  return whole === 0 ? undefined : Math.round((part / whole) * 1000) / 10;
}

/** The table docs/benchmarks.md publishes: one row per category. */
export function accuracyRows(tally) {
  return Object.entries(CATEGORIES).map(([key, label]) => {
    const c = tally[key];
    return [label, c.messages, percent(c.top1, c.messages), percent(c.top3, c.messages), percent(c.wrong, c.messages), percent(c.none, c.messages)];
  });
}
