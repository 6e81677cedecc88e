import { corpusEml, extractableMessage, type Random, randomBinary, smallest } from './payloads.js';
import { HttpError, type TrackingClient } from './tracking-client.js';

/**
 * Repeats `step` until a request fails for another reason than an HTTP
 * answer: with the server killed, every loop ends on a refused or cut
 * connection. Refusals (a broken corpus message, a full document) are part
 * of the traffic.
 */
async function untilCut(step: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await step();
    } catch (error) {
      if (!(error instanceof HttpError)) return;
    }
  }
}

async function prepareExtractable(client: TrackingClient, random: Random, id: string): Promise<number> {
  const message = extractableMessage(random);
  for (const sha of message.attachmentShas) client.acks.attachmentShas.add(sha);
  return (await client.upload(id, 1, message)).m;
}

/**
 * Traffic for the random kills: one import receiving pages (random binaries
 * up to 8 MB and corpus messages), one extracting attachments from message
 * after message, and a stream of small imports being described and
 * submitted. Runs until the server dies.
 */
export async function mixedTraffic(client: TrackingClient, random: Random): Promise<void> {
  const uploads = async (): Promise<void> => {
    const id = await client.create();
    await untilCut(() => client.upload(id, 1, random() < 0.3 ? corpusEml(random) : randomBinary(random)));
  };
  const extractions = async (): Promise<void> => {
    const id = await client.create();
    await untilCut(async () => client.extract(id, 1, await prepareExtractable(client, random, id)));
  };
  const submissions = (): Promise<void> =>
    untilCut(async () => {
      const id = await client.create();
      await client.upload(id, 1, randomBinary(smallest));
      await client.setNote(id, 1, `note ${id}`);
      await client.submit(id);
    });
  await Promise.allSettled([uploads(), extractions(), submissions()]);
}

/**
 * One pass through every write path, in an order that reaches each crash
 * point: create, pages (EML and binary), extraction, attributes, submit,
 * then a document deletion and an import deletion on imports of their own.
 * Small payloads: where a crash point sits does not depend on sizes.
 */
export async function everyWritePath(client: TrackingClient): Promise<void> {
  const a = await client.create();
  const eml = await prepareExtractable(client, smallest, a);
  await client.upload(a, 1, randomBinary(smallest));
  const extracted = await client.extract(a, 1, eml);
  await client.setNote(a, 1, 'first');
  await client.setNote(a, extracted.n, 'second');
  await client.submit(a);
  await client.settled(a);

  const b = await client.create();
  const sibling = await client.extract(b, 1, await prepareExtractable(client, smallest, b));
  await client.deleteDocument(b, sibling.n);

  const c = await client.create();
  await client.upload(c, 1, randomBinary(smallest));
  await client.deleteImport(c);
}
