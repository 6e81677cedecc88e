/**
 * Named places inside the write paths where the crash tests
 * (`test/crash/`) make the server kill itself, to prove that a crash at
 * exactly that instant leaves every import recoverable.
 *
 * A test hook, inert unless the environment variable `TOA_CRASH_AT` is set
 * when the process starts: `TOA_CRASH_AT=<name>` kills the process with
 * SIGKILL the first time `<name>` is reached, `TOA_CRASH_AT=<name>:<N>` the
 * N-th time. SIGKILL rather than an exception or `process.exit`, so that no
 * `finally`, no cleanup and no buffered write runs: the same as `kill -9` or
 * the OOM killer. Otherwise a crash point costs one string comparison.
 */
export const CRASH_POINTS = [
  /** addPage: the upload's temporary (and an EML's sidecar) are complete, the page is not renamed yet */
  'page.before-rename',
  /** addPage: the page is renamed into place, the import.json that lists it is not written yet */
  'page.before-import-json',
  /** every import.json rewrite: `import.json.tmp` is written and flushed, not renamed yet */
  'import-json.before-rename',
  /** extract: the new document, rewritten EML, sidecar and next import.json are temporaries; no journal yet */
  'extract.before-journal',
  /** extract: the journal is written; reached before each of its renames (`:2` = after the first rename) */
  'extract.before-journal-rename',
  /** submit: PENDING is durable, the archive has not been called */
  'submit.before-archive',
  /** submit: the archive has published the batch, SUBMITTED is not recorded yet */
  'submit.before-record',
  /** deleteImport: the folder is renamed away, not removed yet */
  'delete-import.before-rm',
  /** deleteDocument: the document is unlisted in import.json, its folder not removed yet */
  'delete-document.before-rm',
  /** create: the import folder exists, its first import.json does not */
  'create.before-import-json',
] as const;

export type CrashPointName = (typeof CRASH_POINTS)[number];

/** The environment variable that arms one crash point. */
export const CRASH_AT_ENV = 'TOA_CRASH_AT';

/** Read once: the environment of a running server does not change. */
const armed = parseCrashAt(process.env[CRASH_AT_ENV]);
let reached = 0;

function parseCrashAt(value: string | undefined): { name: string; nth: number } | undefined {
  if (!value) return undefined;
  const match = /^([a-z.-]+)(?::([1-9]\d*))?$/.exec(value);
  if (!match?.[1] || !(CRASH_POINTS as readonly string[]).includes(match[1])) {
    throw new Error(`${CRASH_AT_ENV}=${value} names no crash point; known: ${CRASH_POINTS.join(', ')}`);
  }
  return { name: match[1], nth: Number(match[2] ?? 1) };
}

export function crashPoint(name: CrashPointName): void {
  if (name !== armed?.name) return;
  reached += 1;
  if (reached === armed.nth) process.kill(process.pid, 'SIGKILL');
}
