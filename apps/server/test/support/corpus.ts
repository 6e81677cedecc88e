import path from 'node:path';

export { corpusDir, corpusMessages, reportedDir, reportedMessage } from '@toa/fixtures';

/** The repository root: the folder holding turbo.json above this file. */
export const repoRoot = path.resolve(import.meta.dirname, '../../../..');
