import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toProblem } from './problem.js';

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
