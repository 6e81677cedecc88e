import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { CrashPointName } from '../../src/fs/crash-points.js';
import { type CrashSite, createCrashSite, type ForkedServer, startForkedServer } from './forked-server.js';
import { restartAndCheck } from './recovery-round.js';
import { TrackingClient } from './tracking-client.js';
import { everyWritePath } from './workload.js';

/**
 * Each crash point with the occurrences of it that `everyWritePath` reaches
 * and that leave different states behind (see the counts beside them).
 */
const CASES: Array<[CrashPointName, number[]]> = [
  // pages: A's EML, A's binary, B's EML, C's page
  ['page.before-rename', [1, 2]],
  ['page.before-import-json', [1]],
  // import.json writes: create A (1), A's pages (2, 3), attributes (4, 5), PENDING (6), SUBMITTED (7), …
  ['import-json.before-rename', [1, 2, 6, 7]],
  ['extract.before-journal', [1]],
  // the four renames of A's extraction: new document, EML, sidecar, import.json
  ['extract.before-journal-rename', [1, 2, 3, 4]],
  ['submit.before-archive', [1]],
  ['submit.before-record', [1]],
  ['delete-document.before-rm', [1]],
  ['delete-import.before-rm', [1]],
  // create A, create B
  ['create.before-import-json', [1, 2]],
];

/** Runs every case this many times; raise for a longer local run, e.g. `TOA_CRASH_POINT_REPEAT=5`. */
const REPEAT = Number(process.env.TOA_CRASH_POINT_REPEAT ?? 1);

let site: CrashSite | undefined;
let server: ForkedServer | undefined;
afterEach(async () => {
  await server?.kill();
  server = undefined;
  if (site) await rm(site.dir, { recursive: true, force: true });
});

describe('SIGKILL at each named crash point', () => {
  const cases = CASES.flatMap(([point, occurrences]) => occurrences.map((nth) => ({ point, nth })));
  it.each(Array.from({ length: REPEAT }, () => cases).flat())('$point:$nth', async (crashAt) => {
    site = await createCrashSite();
    const armed = await startForkedServer(site, crashAt);
    const client = new TrackingClient(armed.url);
    const pass = everyWritePath(client).then(
      () => 'completed',
      () => 'cut',
    );
    // the pass ends either way; a pass that completes means the point was never reached
    expect(await Promise.race([armed.exited, pass.then((outcome) => (outcome === 'completed' ? 'never reached' : armed.exited))])).toBe('SIGKILL');
    await pass;
    const recovered = await restartAndCheck(site, client);
    server = recovered.server;
    expect(recovered.report.violations).toEqual([]);
    expect(recovered.report.ackedPagesLost).toBe(0);
    expect(recovered.report.partialFilesVisible).toBe(0);
  });
});
