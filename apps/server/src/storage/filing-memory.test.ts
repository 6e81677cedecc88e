import type { Import } from '@toa/api/imports';
import { seededRandom } from '@toa/fixtures/random';
import { describe, expect, it } from 'vitest';
import { FilingMemory, filingTargetOf } from './filing-memory.js';
import { addressOf, subjectWords } from './message-keys.js';

let minute = 0;
function filed(id: string, source: Import['source'], title: string | undefined, userId = 'alice'): Import {
  minute += 1;
  const at = new Date(Date.UTC(2026, 10, 1, 9, minute)).toISOString();
  return {
    schemaVersion: 2,
    id,
    domain: 'acme',
    status: 'DRAFT',
    createdAt: at,
    updatedAt: at,
    userId,
    userName: userId,
    userEmail: `${userId}@acme.example`,
    source,
    documents: [{ n: 1, templateId: title === undefined ? null : 'note', attributes: title === undefined ? {} : { title }, pages: [] }],
    attempts: [],
  };
}

const ask = { owner: 'alice', everyone: false, people: [], words: [] };

describe('FilingMemory', () => {
  it('finds filings by conversation and sender, newest first, and one target object serves every import filed alike', () => {
    const memory = new FilingMemory();
    memory.record(1, filed('1', { conversationId: 'c1', from: 'Jana <jana@client.example>' }, 'Henderson'));
    memory.record(2, filed('2', { conversationId: 'c2', from: 'jana@client.example' }, 'Henderson'));
    memory.record(3, filed('3', { conversationId: 'c3', from: 'jana@client.example' }, 'Other'));
    const [byConversation] = memory.tally({ ...ask, conversationId: 'c1' });
    expect(byConversation?.kind).toBe('conversation');
    expect([...(byConversation?.votes.keys() ?? [])].map((t) => t.attributes)).toEqual([{ title: 'Henderson' }]);

    const [bySender] = memory.tally({ ...ask, sender: 'jana@client.example' });
    expect(bySender?.considered).toBe(3);
    const votes = [...(bySender?.votes ?? [])];
    expect(votes.map(([target, v]) => [target.attributes.title, v.count])).toEqual([
      ['Other', 1],
      ['Henderson', 2],
    ]);
    // the newest filing weighs most
    expect(votes[0]?.[1].weight).toBe(1);
  });

  it('forgets a removed or re-described import, and keeps an undescribed one out', () => {
    const memory = new FilingMemory();
    memory.record(1, filed('1', { from: 'jana@client.example' }, 'Henderson'));
    memory.record(2, filed('2', { from: 'jana@client.example' }, undefined));
    expect(memory.size).toBe(1);
    memory.forget(1);
    expect(memory.tally({ ...ask, sender: 'jana@client.example' })).toEqual([]);
    memory.record(2, filed('2', { from: 'jana@client.example' }, 'Later'));
    expect(memory.tally({ ...ask, sender: 'jana@client.example' })[0]?.votes.size).toBe(1);
  });

  it('counts only the asker’s filings unless everyone’s are asked for', () => {
    const memory = new FilingMemory();
    memory.record(1, filed('1', { from: 'jana@client.example' }, 'Henderson', 'bob'));
    expect(memory.tally({ ...ask, sender: 'jana@client.example' })).toEqual([]);
    const [shared] = memory.tally({ ...ask, everyone: true, sender: 'jana@client.example' });
    expect(shared?.considered).toBe(1);
    expect([...(shared?.votes.values() ?? [])][0]?.own).toBe(0);
  });

  it('tallies after random records, rewrites and removals exactly as a memory fed only the survivors', () => {
    const random = seededRandom(5);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const senders = ['jana@client.example', 'petr@client.example', 'eva@other.example', 'x@gmail.com'];
    const subjects = ['Henderson lease', 'Falcon audit', 'Henderson audit', 'lunch', 'Orchid tender'];
    const titles = ['Henderson', 'Falcon', 'Orchid', undefined];
    const made = (slot: number) =>
      filed(
        `i${slot}`,
        { conversationId: `c${slot % 7}`, from: pick(senders), to: [pick(senders)], subject: pick(subjects) },
        pick(titles),
        pick(['alice', 'bob']),
      );
    const memory = new FilingMemory();
    const live = new Map<number, Import>();
    for (let step = 0; step < 3000; step += 1) {
      const slot = Math.floor(random() * 200);
      if (random() < 0.7) {
        const current = made(slot);
        memory.record(slot, current);
        live.set(slot, current);
      } else {
        memory.forget(slot);
        live.delete(slot);
      }
    }
    const fresh = new FilingMemory();
    // the survivors in their creation order, at the same slots
    for (const [slot, current] of [...live].sort(([, a], [, b]) => Date.parse(a.createdAt) - Date.parse(b.createdAt))) fresh.record(slot, current);
    expect(memory.size).toBe(fresh.size);
    const plain = (tallies: ReturnType<FilingMemory['tally']>) =>
      tallies.map((t) => ({ ...t, votes: [...t.votes].map(([target, v]) => [target, { ...v, words: v.words && [...v.words] }]) }));
    for (const sender of senders) {
      for (const everyone of [false, true]) {
        const query = {
          owner: 'alice',
          everyone,
          sender,
          senderDomain: sender.split('@')[1],
          conversationId: 'c3',
          people: [sender],
          words: ['henderson', 'audit'],
        };
        expect(plain(memory.tally(query))).toEqual(plain(fresh.tally(query)));
      }
    }
  });

  it('looks through a bounded number of others’ filings under a key for the asker’s own, whatever the store holds', () => {
    const memory = new FilingMemory();
    memory.record(0, filed('mine', { subject: 'Henderson lease' }, 'Henderson'));
    for (let slot = 1; slot <= 100; slot += 1) memory.record(slot, filed(`bob${slot}`, { subject: 'Falcon lease' }, 'Falcon', 'bob'));
    // within reach: alice's filing under "lease" counts
    expect(memory.tally({ ...ask, words: ['lease'] })[0]?.considered).toBe(1);
    for (let slot = 101; slot <= 5000; slot += 1) memory.record(slot, filed(`bob${slot}`, { subject: 'Falcon lease' }, 'Falcon', 'bob'));
    // 5 000 newer filings of another user under the same word: past the bound, it is not looked at
    expect(memory.tally({ ...ask, words: ['lease'] })).toEqual([]);
    // her own key still finds it, and everyone's filings are counted as before
    expect(memory.tally({ ...ask, words: ['henderson'] })[0]?.considered).toBe(1);
    expect(memory.tally({ ...ask, everyone: true, words: ['lease'] })[0]?.considered).toBe(16);
  });

  it('leaves the message’s own values (subject, sender, day received) out of a filing target', () => {
    const current = filed('1', { subject: 'Offer', from: 'Jana <jana@client.example>', receivedAt: '2026-11-01T23:30:00+01:00' }, 'Henderson');
    current.documents[0] = { n: 1, templateId: 'memo', attributes: { title: 'Offer', who: 'Jana', day: '2026-11-01', matter: 'M-7' }, pages: [] };
    expect(filingTargetOf(current)).toEqual({ templateId: 'memo', attributes: { matter: 'M-7' } });
  });
});

describe('message keys', () => {
  it('takes the address of a mailbox, lower case, and nothing from a name alone', () => {
    expect(addressOf('Jana Nováková <Jana@Client.Example>')).toBe('jana@client.example');
    expect(addressOf(' bob@x.example ')).toBe('bob@x.example');
    expect(addressOf('Jana Nováková')).toBeUndefined();
  });

  it('keeps the words of a subject that may name a matter', () => {
    expect(subjectWords('RE: FW: Henderson / SPA v3 – please review the draft 2026-0042')).toEqual(['henderson', 'spa', 'v3', 'review', '2026-0042']);
  });
});
