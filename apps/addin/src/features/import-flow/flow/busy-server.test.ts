import { describe, expect, it } from 'vitest';
import { holdUpload } from '../../../../test/e2e/support/held-upload';
import { DOMAIN, startToaServer } from '../../../../test/e2e/support/toa-server';
import { ApiError, createApiClient } from '../../../lib/api-client';
import { attemptFor, draftFor, pdfMessage, recordedContext } from '../../../test/import-flow-server';
import { runImport } from './run-import';

const USER = { email: 'dana@acme.example', name: 'Dana Novak' };

/**
 * The server refuses an upload for now (429 with Retry-After, RFC 6585 §4 and
 * RFC 9110 §10.2.3) when the user has `uploadsPerUser` uploads under way: here
 * one, held open by the test. The flow waits as asked, says so, and sends the
 * same step again.
 */
describe('a busy server (429 with Retry-After)', () => {
  it('waits the Retry-After the server gave, reports the wait, then uploads again and files the message', { timeout: 90_000 }, async () => {
    const server = await startToaServer({ limits: { uploadsPerUser: 1 } });
    try {
      const held = await holdUpload(server.url, USER.email);
      const client = createApiClient({ baseUrl: server.url, identity: () => USER, retry: { attempts: 3, baseDelayMs: 1 } });
      let released: Promise<number> | undefined;
      const recorded = recordedContext(client);
      const emit = recorded.ctx.emit;
      recorded.ctx.emit = (event) => {
        emit(event);
        // the held upload finishes during the pause, as another of the user's uploads would
        if (event.type === 'retrying') released ??= held.release();
      };
      const message = pdfMessage('<busy-upload@x>');
      const outcome = await runImport(recorded.ctx, attemptFor(message), { draft: draftFor(), templates: (await client.templates(DOMAIN)).templates });

      expect(outcome.kind).toBe('submitted');
      expect(await released).toBe(201);
      const retries = recorded.events.filter((event) => event.type === 'retrying');
      expect(retries).toEqual([
        { type: 'retrying', reason: expect.stringContaining('uploads under way'), seconds: held.retryAfterSeconds, attempt: 2, attempts: 3 },
      ]);
      // the pause came while uploading, and the upload went on after it
      const steps = recorded.events.map((event) => (event.type === 'step' ? event.step : event.type));
      const pause = steps.indexOf('retrying');
      expect([steps[pause - 1], steps[pause + 1]]).toEqual(['uploading', 'uploading']);

      const mine = (await server.importsOnDisk()).filter(({ record }) => record.source.internetMessageId === '<busy-upload@x>');
      expect(mine.map(({ record }) => [record.status, record.documents[0]?.pages.length, record.documents[0]?.templateId])).toEqual([
        ['SUBMITTED', 1, 'invoice'],
      ]);
    } finally {
      await server.stop();
    }
  });

  it('gives up after the attempts it has, with a message that says the server stayed busy; Try again then goes on', { timeout: 90_000 }, async () => {
    const server = await startToaServer({ limits: { uploadsPerUser: 1 } });
    try {
      const held = await holdUpload(server.url, USER.email);
      // a cap of 1 s on the pause: the refusals come quickly, and the cap is what is honoured
      const client = createApiClient({ baseUrl: server.url, identity: () => USER, retry: { attempts: 3, baseDelayMs: 1, maxRetryAfterMs: 1_000 } });
      const { ctx, events } = recordedContext(client);
      const message = pdfMessage('<busy-for-good@x>');
      const attempt = attemptFor(message);
      const forms = { draft: draftFor(), templates: (await client.templates(DOMAIN)).templates };
      const outcome = await runImport(ctx, attempt, forms);

      expect(outcome).toMatchObject({ kind: 'error', step: 'uploading' });
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(429);
      expect((error as ApiError).message).toMatch(/busy and refused this 3 times .*uploads under way.*try again/i);
      expect(events.filter((event) => event.type === 'retrying').map((event) => event.type === 'retrying' && [event.seconds, event.attempt])).toEqual([
        [1, 2],
        [1, 3],
      ]);
      // the import was created once and kept: the next try continues it
      expect(attempt.importId).toBeDefined();
      expect(attempt.uploaded).toBe(false);

      held.abandon();
      expect((await runImport(ctx, attempt, forms)).kind).toBe('submitted');
      const mine = (await server.importsOnDisk()).filter(({ record }) => record.source.internetMessageId === '<busy-for-good@x>');
      expect(mine.map(({ record }) => [record.id, record.status])).toEqual([[attempt.importId, 'SUBMITTED']]);
    } finally {
      await server.stop();
    }
  });
});
