import { rm } from 'node:fs/promises';

/**
 * Whether this process failed to remove a temporary or an unlisted file it
 * had made (an I/O error, a read-only file system): such a file stays until
 * a sweep that lists the pages folders removes it, so a stop of this process
 * may not vouch for them (`markCleanStop`, ADR 0025). Per thread, as module
 * state is: what the mail workers fail to remove, the main thread removes
 * again (an extraction's clean-up), and notes there. A data root is used by
 * one process at a time.
 */
let noted = false;

/** Remembers that a file this process made may be left behind. */
export function noteLeftover(): void {
  noted = true;
}

/** True once `noteLeftover` was called in this process. */
export function leftoversNoted(): boolean {
  return noted;
}

/**
 * Removes a temporary (file or folder) this process made, `rm -rf` style; a
 * failure is noted (`noteLeftover`) and raised.
 */
export async function removeTemporary(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    noteLeftover();
    throw error;
  }
}
