import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/corpus.js';
import { type CrashSite, createCrashSite, type ForkedServer, startForkedServer } from './forked-server.js';
import { seededRandom } from './payloads.js';
import { restartAndCheck } from './recovery-round.js';
import { TrackingClient } from './tracking-client.js';
import { mixedTraffic } from './workload.js';

/** Kill rounds; raise for a longer local run, e.g. `TOA_CRASH_ROUNDS=300 npx vitest run test/crash`. */
const ROUNDS = Number(process.env.TOA_CRASH_ROUNDS ?? 12);
/** The first seed; every round's traffic and kill moment derive from it, so a failing round can be replayed. */
const SEED = Number(process.env.TOA_CRASH_SEED ?? Date.now() % 1_000_000);
/** Kills land up to this long after the traffic starts: from the first request to mid-way through multi-megabyte uploads. */
const MAX_KILL_DELAY_MS = 1_500;

const run = promisify(execFile);
const bin = path.join(repoRoot, 'apps', 'server', 'bin', 'toa-server.js');

let site: CrashSite | undefined;
let server: ForkedServer | undefined;
afterAll(async () => {
  await server?.kill();
  if (site) await rm(site.dir, { recursive: true, force: true });
});

describe(`SIGKILL at random moments (${ROUNDS} rounds, seed ${SEED})`, () => {
  it('leaves every import valid, every acknowledged page intact and every import usable', { timeout: 60_000 + ROUNDS * 10_000 }, async () => {
    site = await createCrashSite();
    server = await startForkedServer(site);
    const client = new TrackingClient(server.url);
    const survived: number[] = [];
    const failures: string[] = [];
    const totals = { pendingResumed: 0, ackedPagesLost: 0, partialFilesVisible: 0 };
    for (let round = 0; round < ROUNDS; round += 1) {
      const random = seededRandom(SEED + round);
      const traffic = mixedTraffic(client, random);
      await new Promise((resolve) => setTimeout(resolve, random() * MAX_KILL_DELAY_MS));
      expect(await server.kill()).toBe('SIGKILL');
      await traffic;
      const recovered = await restartAndCheck(site, client);
      server = recovered.server;
      totals.pendingResumed += recovered.pendingResumed;
      totals.ackedPagesLost += recovered.report.ackedPagesLost;
      totals.partialFilesVisible += recovered.report.partialFilesVisible;
      if (recovered.report.violations.length === 0) survived.push(round);
      else failures.push(...recovered.report.violations.map((v) => `round ${round} (seed ${SEED + round}): ${v}`));
    }
    await server.kill();
    server = undefined;
    const fsck = JSON.parse((await run(process.execPath, [bin, 'fsck', '--json', '--config', site.configFile])).stdout) as { findings: unknown[] };
    console.info(
      `random kills: survived ${survived.length}/${ROUNDS}; acknowledged pages ${client.acks.pages.length}, lost ${totals.ackedPagesLost}; ` +
        `partial files visible ${totals.partialFilesVisible}; extractions acknowledged ${client.acks.extractions.length}; PENDING resumed ${totals.pendingResumed}`,
    );
    expect(failures).toEqual([]);
    expect(fsck.findings).toEqual([]);
  });
});
