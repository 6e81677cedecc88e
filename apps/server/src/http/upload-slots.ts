import { AppError } from '../errors.js';

/** What a refused uploader is told to wait: long enough for a page of ordinary size to finish. */
const RETRY_AFTER_SECONDS = 10;

/**
 * Counts the page uploads each user has under way. Every upload holds a
 * socket and a temporary file until its body is in, so one user trickling
 * many bodies could take every descriptor the process has; past `perUser`
 * the next one is refused before its body is read.
 */
export class UploadSlots {
  private readonly active = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  /**
   * Takes a slot for `userId` (the owner key); returns the function that gives it back
   * (calling it twice gives back one slot). Throws 429 `UPLOADS_IN_PROGRESS` with a retry delay when none is free.
   */
  acquire(userId: string): () => void {
    const held = this.active.get(userId) ?? 0;
    if (held >= this.perUser) {
      throw new AppError('UPLOADS_IN_PROGRESS', `you already have ${held} uploads under way (the limit is ${this.perUser}); wait until one finishes`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
    this.active.set(userId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(userId) ?? 1) - 1;
      if (left > 0) this.active.set(userId, left);
      else this.active.delete(userId);
    };
  }
}
