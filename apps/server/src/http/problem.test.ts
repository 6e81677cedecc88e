import { writeFile } from 'node:fs/promises';
import { updateDocumentRequestSchema } from '@toa/api/imports';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { retryAfterOf, toProblem } from './problem.js';

describe('toProblem for a full disk', () => {
  it('answers a write that met ENOSPC with 507 INSUFFICIENT_STORAGE (RFC 4918 §11.5), never 500', async () => {
    // Linux's /dev/full refuses every write with ENOSPC, as a full filesystem does
    const error = await writeFile('/dev/full', 'a page').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    const answer = toProblem(error, { originalUrl: '/api/import/acme/x/pages' });
    expect(answer.status).toBe(507);
    expect(answer.code).toBe('INSUFFICIENT_STORAGE');
    expect(answer.detail).toMatch(/disk is full \(ENOSPC/);
    expect(answer.detail).not.toMatch(/\/dev\/full/);
  });
});

/** An error as `fs` raises it when the process has no descriptor left. */
function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: too many open files, open 'page.bin'`), { code, errno: -24, syscall: 'open' });
}

describe('running out of descriptors', () => {
  it('is 503 with a retry delay, never 500', () => {
    for (const code of ['EMFILE', 'ENFILE']) {
      const answer = toProblem(errno(code), { originalUrl: '/api/x' });
      expect(answer.status).toBe(503);
      expect(answer.code).toBe('RESOURCES_EXHAUSTED');
      expect(retryAfterOf(errno(code))).toBeGreaterThan(0);
    }
  });

  it('is 503 too when the error only wraps it (a mail worker that could not start)', () => {
    const wrapped = new Error('a mail worker could not start: EMFILE: too many open files', { cause: errno('EMFILE') });
    expect(toProblem(wrapped, { originalUrl: '/api/x' }).code).toBe('RESOURCES_EXHAUSTED');
    expect(retryAfterOf(wrapped)).toBeGreaterThan(0);
  });

  it('leaves other file errors alone', () => {
    expect(toProblem(errno('EIO'), { originalUrl: '/api/x' }).status).toBe(500);
    expect(retryAfterOf(errno('EIO'))).toBeUndefined();
  });

  it('sends the delay an AppError names', () => {
    expect(retryAfterOf(new AppError('UPLOADS_IN_PROGRESS', 'wait', { retryAfterSeconds: 7 }))).toBe(7);
  });
});

describe('a request refused by a schema', () => {
  it('is 400 with one field error per issue, in English, for an @toa/api schema (zod/mini) as for classic zod', () => {
    const refusals = [
      () => updateDocumentRequestSchema.parse({ templateId: '', colour: 'red' }),
      () => z.strictObject({ templateId: z.string().min(1) }).parse({ templateId: '', colour: 'red' }),
    ];
    for (const refuse of refusals) {
      const error = (() => {
        try {
          refuse();
        } catch (failure) {
          return failure;
        }
      })();
      const answer = toProblem(error, { originalUrl: '/api/import/acme/x/documents/1' });
      expect(answer).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(answer.errors).toEqual([
        { field: 'templateId', code: 'too_small', message: 'Too small: expected string to have >=1 characters' },
        { field: '(body)', code: 'unrecognized_keys', message: 'Unrecognized key: "colour"' },
      ]);
    }
  });
});
