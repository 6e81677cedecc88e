import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anImport } from '../../test/support/an-import.js';
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

  it('after a clean stop leaves the pages folders unlisted, and still sweeps the import folders', async () => {
    const domainDir = path.join(root, 'acme');
    const dir = path.join(domainDir, '2026-11-30', '1240-0a1b2c3d');
    const page = { m: 1, filename: 'a.pdf', size: 1, contentType: 'application/pdf', sha256: 'a'.repeat(64) };
    const planted = {
      'import.json': JSON.stringify(anImport({ documents: [{ n: 1, templateId: null, attributes: {}, pages: [page] }] })),
      '.import.json.3f2a.tmp': '{"half',
      'doc-1/pages/page-1.bin': 'x',
      'doc-1/pages/page-2.bin': 'unlisted',
      'doc-1/pages/.upload-9c.tmp': 'cut short',
      'doc-2/pages/page-1.bin': 'an unlisted document',
    };
    for (const [name, text] of Object.entries(planted)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    const pagesLeft = async () => (await readdir(path.join(dir, 'doc-1', 'pages'))).sort();

    const clean = emptySweepReport();
    await sweepDomain(root, domainDir, clean, { listPages: false });
    expect(clean.removed.sort()).toEqual(['acme/2026-11-30/1240-0a1b2c3d/.import.json.3f2a.tmp', 'acme/2026-11-30/1240-0a1b2c3d/doc-2']);
    expect(await pagesLeft()).toEqual(['.upload-9c.tmp', 'page-1.bin', 'page-2.bin']);

    const whole = emptySweepReport();
    await sweepDomain(root, domainDir, whole);
    expect(whole.removed.sort()).toEqual(['acme/2026-11-30/1240-0a1b2c3d/doc-1/pages/.upload-9c.tmp', 'acme/2026-11-30/1240-0a1b2c3d/doc-1/pages/page-2.bin']);
    expect(await pagesLeft()).toEqual(['page-1.bin']);
  });
});
