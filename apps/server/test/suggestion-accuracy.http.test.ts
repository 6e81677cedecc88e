import { describe, expect, it } from 'vitest';
import { generateMailbox } from '../bench/mailbox/generate.mjs';
import { percent, replaySuggestions } from '../bench/mailbox/replay.mjs';
import { startTestServer } from './support/server.js';

/**
 * The figures docs/benchmarks.md publishes for this mailbox (seed 7, 400
 * messages): a change that makes suggestions worse by more than a few points
 * fails here.
 */
const PUBLISHED = {
  conversation: { top1: 100, top3: 100 },
  knownSender: { top1: 97.5, top3: 99.4 },
  knownOrganisation: { top1: 76.7, top3: 80 },
  unknown: { wrong: 6.7 },
} as const;
const SLACK = 5;

describe('filing suggestions, measured on a generated mailbox', () => {
  it('stays within a few points of the published accuracy', { timeout: 300_000 }, async () => {
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
      for (const key of ['conversation', 'knownSender', 'knownOrganisation'] as const) {
        expect(percent(tally[key].top1, tally[key].messages)).toBeGreaterThanOrEqual(PUBLISHED[key].top1 - SLACK);
        expect(percent(tally[key].top3, tally[key].messages)).toBeGreaterThanOrEqual(PUBLISHED[key].top3 - SLACK);
      }
      expect(percent(tally.unknown.wrong, tally.unknown.messages)).toBeLessThanOrEqual(PUBLISHED.unknown.wrong + SLACK);
    } finally {
      await server.dispose();
    }
  });
});
