import { describe, expect, it } from 'vitest';
import { importIdSchema } from './ids.js';
import { sourceSchema } from './imports.js';

describe('the schemas of @toa/api', () => {
  it('say what is wrong in English by themselves, without classic zod loaded', () => {
    const failure = sourceSchema.safeParse({ subject: 7, to: ['a', 3] });
    expect(failure.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['subject', 'Invalid input: expected string, received number'],
      ['to.1', 'Invalid input: expected string, received number'],
    ]);
    // a message of our own stays ours
    expect(importIdSchema.safeParse('2026-01-01').error?.issues[0]?.message).toBe('must look like yyyy-MM-dd_HHmm-xxxxxxxx');
  });
});
