import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateMailbox } from '../bench/mailbox/generate.mjs';
import { CATEGORIES, percent, replaySuggestions } from '../bench/mailbox/replay.mjs';
import { repoRoot } from './support/corpus.js';
import { startTestServer } from './support/server.js';

type Category = keyof typeof CATEGORIES;

/** A row of the accuracy table docs/benchmarks.md publishes for this mailbox (seed 7, 400 messages). */
interface Published {
  count: number;
  top1: number;
  top3: number;
  wrong: number;
}

/**
 * The published table itself, read from docs/benchmarks.md by each row's
 * label (`CATEGORIES`, the replay's own), so that the guard always compares
 * to what the documentation says: `| label | count | top-1 % | top-3 % | wrong % | … |`.
 */
function publishedAccuracy(): Record<Category, Published> {
  const doc = readFileSync(path.join(repoRoot, 'docs', 'benchmarks.md'), 'utf8');
  const rows = {} as Record<Category, Published>;
  for (const [key, label] of Object.entries(CATEGORIES) as [Category, string][]) {
    const line = doc.split('\n').find((l) => l.startsWith(`| ${label} `));
    if (!line) throw new Error(`docs/benchmarks.md has no accuracy row "${label}"`);
    const [count, top1, top3, wrong] = line
      .split('|')
      .slice(2, 6)
      .map((cell) => Number(cell.trim()));
    if (![count, top1, top3, wrong].every(Number.isFinite)) throw new Error(`docs/benchmarks.md's row "${label}" is not read as numbers: ${line}`);
    rows[key] = { count: count as number, top1: top1 as number, top3: top3 as number, wrong: wrong as number };
  }
  return rows;
}

/** Points the measured figures may fall below the published ones before this fails ("a few points", issue 11). */
const SLACK = 5;

/** Issue 11's goals, which no slack may go below. */
const GOALS = { conversationTop1: 97, knownSenderTop3: 85, knownOrganisationTop3: 60, unknownWrong: 10 };

describe('filing suggestions, measured on a generated mailbox', () => {
  it('stays within a few points of the accuracy docs/benchmarks.md publishes, and within issue 11 goals', { timeout: 300_000 }, async () => {
    const published = publishedAccuracy();
    // three requests a message, as fast as loopback goes: far above a user's pace
    const server = await startTestServer({ overrides: { limits: { requestsPerMinute: 1_000_000 } } });
    try {
      const mailbox = generateMailbox({ seed: 7, messages: 400 });
      const { tally } = await replaySuggestions({
        request: server.as(mailbox.user, 'Records Clerk'),
        domain: 'acme',
        mailbox,
        today: new Date().toISOString().slice(0, 10),
      });
      const measured = (key: Category) => {
        const c = tally[key];
        return {
          count: c.messages,
          top1: percent(c.top1, c.messages) ?? 0,
          top3: percent(c.top3, c.messages) ?? 0,
          wrong: percent(c.wrong, c.messages) ?? 100,
        };
      };
      // the table describes this very mailbox: a generator that makes another needs the table measured again
      for (const key of Object.keys(CATEGORIES) as Category[]) expect({ [key]: measured(key).count }).toEqual({ [key]: published[key].count });
      for (const key of ['conversation', 'knownSender', 'knownOrganisation'] as const) {
        expect(measured(key).top1, `${key} top-1`).toBeGreaterThanOrEqual(published[key].top1 - SLACK);
        expect(measured(key).top3, `${key} top-3`).toBeGreaterThanOrEqual(published[key].top3 - SLACK);
      }
      expect(measured('unknown').wrong, 'unknown wrong').toBeLessThanOrEqual(published.unknown.wrong + SLACK);

      expect(measured('conversation').top1).toBeGreaterThanOrEqual(GOALS.conversationTop1);
      expect(measured('knownSender').top3).toBeGreaterThanOrEqual(GOALS.knownSenderTop3);
      expect(measured('knownOrganisation').top3).toBeGreaterThanOrEqual(GOALS.knownOrganisationTop3);
      expect(measured('unknown').wrong).toBeLessThanOrEqual(GOALS.unknownWrong);
    } finally {
      await server.dispose();
    }
  });
});
