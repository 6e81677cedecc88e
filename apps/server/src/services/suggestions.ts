import type { Attributes } from '@toa/api/imports';
import type { Suggestion, SuggestionReason, SuggestionSource, SuggestionsResponse } from '@toa/api/suggestions';
import type { Template } from '@toa/api/templates';
import type { z } from 'zod';
import type { suggestionRequestSchema } from '@toa/api/suggestions';
import type { Identity } from '../identity.js';
import type { FilingQuery, FilingTarget, KeyKind, KindTally, TargetVotes } from '../storage/filing-memory.js';
import { addressOf, mailDomainOf, PUBLIC_MAIL_DOMAINS, subjectWords } from '../storage/message-keys.js';

export type ParsedSuggestionRequest = z.output<typeof suggestionRequestSchema>;

export interface SuggestionDeps {
  /** what the domain's filings say (DomainStorage.filingTally) */
  tally(query: FilingQuery): Promise<KindTally[]>;
  template(templateId: string): Template | undefined;
  domain: string;
  /** the domain's `suggestions.shared`: everyone's filings count, shown as targets and values only */
  shared: boolean;
  /** IANA zone the reasons' dates are given in */
  timeZone: string;
  now: Date;
}

/**
 * How much each kind of evidence can say, alone, when all of it agrees: a
 * conversation filed before is almost certain, a sender's habit is strong,
 * an organisation's weaker, the people copied and the subject's words weaker
 * still. Set by the replay in docs/benchmarks.md, not guessed.
 */
const STRENGTH: Record<KeyKind, number> = { conversation: 0.97, sender: 0.8, senderDomain: 0.5, person: 0.4, word: 0.75 };
/** Below this a suggestion is more likely wrong than right (the replay's unknown senders): none is shown. */
export const MIN_SCORE = 0.3;
const SOURCE_OF: Record<KeyKind, SuggestionSource> = {
  conversation: 'conversation',
  sender: 'sender',
  senderDomain: 'senderDomain',
  person: 'recipients',
  word: 'subject',
};
const MAX_PEOPLE = 20;

interface Candidate {
  templateId: string;
  attributes: Attributes;
  kinds: Map<KeyKind, { share: number; votes: TargetVotes }>;
}

/**
 * Ranked places to file a message, from the domain's filings in memory
 * (never a scan of the disk). Sources, strongest first: earlier imports of
 * the same conversation, the sender's address, the sender's mail domain
 * (not a public one, not the asker's own), the other people on the message,
 * the words of the subject and attachment names. Each source's votes are its
 * most recent filings, newer ones weighing more; a target's score is the
 * noisy-or of what each source gives it. Only the asker's own imports count
 * unless the domain shares suggestions; then the others' give targets and
 * values, and reasons never name their subjects or senders.
 */
export async function suggestFilings(deps: SuggestionDeps, identity: Identity, request: ParsedSuggestionRequest): Promise<SuggestionsResponse> {
  const sender = request.from === undefined ? undefined : addressOf(request.from);
  const senderDomain = sender === undefined ? undefined : mailDomainOf(sender);
  const ownDomain = mailDomainOf(identity.email);
  const people = [...new Set([...request.to, ...request.cc].map(addressOf))]
    .filter((address): address is string => address !== undefined && address !== identity.email && address !== sender)
    .slice(0, MAX_PEOPLE);
  const words = [...new Set([...subjectWords(request.subject ?? ''), ...request.attachments.flatMap((name) => subjectWords(name.replace(/\.[^.]*$/, '')))])];
  const tallies = await deps.tally({
    owner: identity.userId,
    everyone: deps.shared,
    conversationId: request.conversationId,
    sender,
    senderDomain: senderDomain === undefined || senderDomain === ownDomain || PUBLIC_MAIL_DOMAINS.has(senderDomain) ? undefined : senderDomain,
    people,
    words,
  });
  const candidates = mergeByShownValues(tallies, deps.template);
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: deps.timeZone });
  const dayOfYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: deps.timeZone });
  const thisYear = new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone: deps.timeZone });
  const dateOf = (ms: number) => (thisYear.format(ms) === thisYear.format(deps.now) ? day : dayOfYear).format(ms);
  const considered = new Map(tallies.map((tally) => [tally.kind, tally.considered]));

  const ranked: Suggestion[] = [];
  for (const candidate of candidates) {
    let doubt = 1;
    const reasons: Array<{ strength: number; reason: SuggestionReason }> = [];
    for (const [kind, { share, votes }] of candidate.kinds) {
      const seen = considered.get(kind) ?? 0;
      const strength = STRENGTH[kind] * share * (kind === 'conversation' ? 1 : 1 - 0.5 ** seen);
      doubt *= 1 - strength;
      reasons.push({ strength, reason: { source: SOURCE_OF[kind], text: reasonText(kind, votes, seen, { dateOf, senderDomain }) } });
    }
    const score = 1 - doubt;
    if (score < MIN_SCORE) continue;
    ranked.push({
      domain: deps.domain,
      templateId: candidate.templateId,
      attributes: candidate.attributes,
      score: Math.round(score * 100) / 100,
      reasons: reasons.sort((a, b) => b.strength - a.strength).map(({ reason }) => reason),
    });
  }
  ranked.sort((a, b) => b.score - a.score);
  return { suggestions: ranked.slice(0, request.limit) };
}

/**
 * Targets as the user would see them: the template's own attributes only,
 * without those the template fills from the message (`prefill`) or the
 * server makes; targets that differ only in those are one suggestion. A
 * target whose template is gone from the catalogue is left out.
 */
function mergeByShownValues(tallies: KindTally[], template: (templateId: string) => Template | undefined): Candidate[] {
  const merged = new Map<string, Candidate>();
  const shownOf = new Map<FilingTarget, Candidate | null>();
  for (const tally of tallies) {
    for (const [target, votes] of tally.votes) {
      let candidate = shownOf.get(target);
      if (candidate === undefined) {
        candidate = candidateOf(target, template(target.templateId), merged);
        shownOf.set(target, candidate);
      }
      if (candidate === null) continue;
      const share = votes.weight / tally.weight;
      const before = candidate.kinds.get(tally.kind);
      candidate.kinds.set(tally.kind, before ? { share: before.share + share, votes: addVotes(before.votes, votes) } : { share, votes });
    }
  }
  return [...merged.values()];
}

function candidateOf(target: FilingTarget, template: Template | undefined, merged: Map<string, Candidate>): Candidate | null {
  if (!template) return null;
  const attributes: Attributes = {};
  for (const attribute of template.attributes) {
    if (attribute.prefill !== undefined || attribute.serverGenerated) continue;
    const value = target.attributes[attribute.id];
    if (value !== undefined) attributes[attribute.id] = value;
  }
  const key = `${target.templateId}\u0000${JSON.stringify(attributes)}`;
  let candidate = merged.get(key);
  if (!candidate) {
    candidate = { templateId: target.templateId, attributes, kinds: new Map() };
    merged.set(key, candidate);
  }
  return candidate;
}

function addVotes(a: TargetVotes, b: TargetVotes): TargetVotes {
  const words = a.words || b.words ? new Set([...(a.words ?? []), ...(b.words ?? [])]) : undefined;
  return {
    weight: a.weight + b.weight,
    count: a.count + b.count,
    own: a.own + b.own,
    lastAt: Math.max(a.lastAt, b.lastAt),
    ...(words ? { words } : {}),
  };
}

/** Why, in the user's words; another user's import is never described beyond its date. */
function reasonText(kind: KeyKind, votes: TargetVotes, seen: number, context: { dateOf: (ms: number) => string; senderDomain: string | undefined }): string {
  const yours = votes.own === votes.count;
  const of = (what: string) =>
    yours ? `${votes.count} of your last ${seen} messages ${what}` : `${votes.count} of the last ${seen} messages ${what} filed in this domain`;
  switch (kind) {
    case 'conversation':
      return `same conversation as an import of ${context.dateOf(votes.lastAt)}`;
    case 'sender':
      return of('from this sender');
    case 'senderDomain':
      return of(`from @${context.senderDomain ?? ''}`);
    case 'person':
      return of('with people on this message');
    case 'word': {
      const words = [...(votes.words ?? [])].slice(0, 3).map((word) => `“${word}”`);
      return `${words.join(', ')} as in ${votes.count} earlier ${votes.count === 1 ? 'import' : 'imports'}`;
    }
  }
}
