import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The repository root: the folder holding turbo.json above this file. */
export const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** Real-world messages, many broken, kept beside the repository in shared/corpus/eml. */
export const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'eml');

/** Every `.eml` file of the corpus, as absolute paths, sorted. */
export function corpusMessages(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.eml')) found.push(full);
    }
  };
  walk(corpusDir);
  return found;
}
