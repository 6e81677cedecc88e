import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAST_VALUES_FOLDER } from './layout.js';
import { emptySweepReport, sweepDomain } from './recovery.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'toa-sweep-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sweepDomain', () => {
  it('removes what a crash left of a last-values write and keeps the written files', async () => {
    const domainDir = path.join(root, 'acme');
    const folder = path.join(domainDir, LAST_VALUES_FOLDER);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a1.json'), '{}\n');
    await writeFile(path.join(folder, '.a1.json.3f2a.tmp'), '{"half');

    const report = emptySweepReport();
    await sweepDomain(root, domainDir, report);

    expect(await readdir(folder)).toEqual(['a1.json']);
    expect(report.removed).toEqual([`acme/${LAST_VALUES_FOLDER}/.a1.json.3f2a.tmp`]);
  });
});
