import path from 'node:path';

import { corpusDir } from '@toa/fixtures';

export { corpusDir, corpusMessages, reportedDir, reportedMessage } from '@toa/fixtures';

/** The repository root: the folder holding turbo.json above this file. */
export const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** The real-world messages of the mikel/mail library. */
export const mikelDir = path.join(corpusDir, 'mikel-mail');
