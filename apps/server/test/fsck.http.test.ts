import { cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { problemSchema } from '@toa/api/errors';
import { IMPORT_SCHEMA_VERSION, type Import, importSchema } from '@toa/api/imports';
import { paths } from '@toa/api/routes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsck } from '../src/cli/fsck.js';
import type { Output } from '../src/cli/output.js';
import { stats } from '../src/cli/stats.js';
import type { FsckFinding } from '../src/storage/fsck.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * Issue 8, point 9: every import that `stats` calls UNREADABLE, or that the
 * API refuses to read, is a finding of `fsck`, with the fix it proposes; an
 * import restored into the wrong date folder is moved back by `--repair`
 * when its place is free.
 */

let dir: string;
let server: TestServer;
const ALICE = 'alice@acme.example';

/** Captures what a command would print. */
function capture(): Output & { data: Record<string, unknown> } {
  const out = {
    data: {} as Record<string, unknown>,
    result(data: Record<string, unknown>) {
      out.data = data;
    },
    error() {},
  };
  return out;
}

function folderOf(id: string, dataRoot = server.dataRoot): string {
  return path.join(dataRoot, 'acme', ...id.split('_'));
}

/** The id the folder names, in another date folder. */
function dayBefore(id: string): string {
  const [date, folder] = id.split('_') as [string, string];
  const earlier = new Date(`${date}T12:00:00Z`);
  earlier.setUTCDate(earlier.getUTCDate() - 1);
  return `${earlier.toISOString().slice(0, 10)}_${folder}`;
}

/** Each way an import folder can hold an import.json the server will not use, and the folder it leaves. */
const damages: Array<{ what: string; damage(id: string): Promise<string>; problem: RegExp; fix: RegExp }> = [
  {
    what: 'import.json that is not JSON',
    damage: async (id) => {
      await writeFile(path.join(folderOf(id), 'import.json'), '{ torn');
      return id;
    },
    problem: /not JSON/,
    fix: /restore the import folder from a backup/,
  },
  {
    what: 'import.json that does not match the schema',
    damage: async (id) => {
      const file = path.join(folderOf(id), 'import.json');
      const { documents: _gone, ...rest } = JSON.parse(await readFile(file, 'utf8')) as Import;
      await writeFile(file, JSON.stringify(rest));
      return id;
    },
    problem: /does not match the schema \(documents:/,
    fix: /restore/,
  },
  {
    what: 'import.json of a newer schema version',
    damage: async (id) => {
      const file = path.join(folderOf(id), 'import.json');
      await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), schemaVersion: IMPORT_SCHEMA_VERSION + 1, newField: true }));
      return id;
    },
    problem: new RegExp(`written by a newer TOA server \\(schemaVersion ${IMPORT_SCHEMA_VERSION + 1}`),
    fix: /restore/,
  },
  {
    what: 'import.json that is a folder',
    damage: async (id) => {
      await rm(path.join(folderOf(id), 'import.json'));
      await mkdir(path.join(folderOf(id), 'import.json'));
      return id;
    },
    problem: /cannot be read \(EISDIR\)/,
    fix: /restore/,
  },
  {
    what: 'import.json that is a link to nothing',
    damage: async (id) => {
      await rm(path.join(folderOf(id), 'import.json'));
      await symlink('gone.json', path.join(folderOf(id), 'import.json'));
      return id;
    },
    problem: /cannot be read \(ENOENT/,
    fix: /restore/,
  },
  {
    what: 'an import restored into the wrong date folder',
    damage: async (id) => {
      const wrong = dayBefore(id);
      await mkdir(path.dirname(folderOf(wrong)), { recursive: true });
      await rename(folderOf(id), folderOf(wrong));
      return wrong;
    },
    problem: /names import acme\/.*whose folder is elsewhere/,
    fix: /fsck --repair moves it to acme\//,
  },
  {
    what: 'a copy of an import in the wrong date folder, its own place taken',
    damage: async (id) => {
      const wrong = dayBefore(id);
      await mkdir(path.dirname(folderOf(wrong)), { recursive: true });
      await cp(folderOf(id), folderOf(wrong), { recursive: true });
      return wrong;
    },
    problem: /names import acme\//,
    fix: /is taken: compare the two folders/,
  },
];

/** Per damage: the import's real id and the id of the folder that now holds the damage. */
const cases: Array<{ id: string; folderId: string }> = [];

beforeAll(async () => {
  server = await startTestServer();
  dir = server.dir;
  const alice = server.as(ALICE);
  for (const _ of damages) {
    const created = importSchema.parse(await (await alice(paths.imports('acme'), json('POST', {}))).json());
    cases.push({ id: created.id, folderId: created.id });
  }
  await server.close();
  for (const [index, { damage }] of damages.entries()) {
    const entry = cases[index] as { id: string; folderId: string };
    entry.folderId = await damage(entry.id);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('what the server will not read, fsck reports with its fix', () => {
  let findings: FsckFinding[];

  beforeAll(async () => {
    const out = capture();
    expect(await fsck(server.config, false, out)).toBe(1);
    findings = out.data.findings as FsckFinding[];
  });

  it('stats counts each damaged folder as UNREADABLE', async () => {
    const out = capture();
    await stats(server.config, out);
    const days = out.data.days as Array<{ byStatus: Record<string, number> }>;
    const unreadable = days.reduce((sum, day) => sum + (day.byStatus.UNREADABLE ?? 0), 0);
    expect(unreadable).toBe(damages.length);
  });

  it.each(damages.map((damage, index) => ({ ...damage, index })))('$what', async ({ index, problem, fix }) => {
    const { folderId } = cases[index] as { folderId: string };
    const folder = path.join('acme', ...folderId.split('_'));
    const finding = findings.find((f) => f.path === folder);
    expect(finding, `no finding for ${folder} in ${JSON.stringify(findings, null, 2)}`).toBeDefined();
    expect(finding?.problem).toMatch(problem);
    expect(finding?.fix).toMatch(fix);
    expect(finding?.repaired).toBe(false);
  });

  it('the API refuses each damaged folder the same way: 409 IMPORT_UNREADABLE, never a 500', async () => {
    const running = await startTestServer({ dir });
    try {
      const alice = running.as(ALICE);
      for (const { folderId } of cases) {
        const response = await alice(paths.import('acme', folderId));
        const problem = problemSchema.parse(await response.json());
        expect([response.status, problem.code], folderId).toEqual([409, 'IMPORT_UNREADABLE']);
      }
    } finally {
      await running.close();
    }
  });
});

describe('fsck --repair', () => {
  it('moves an import restored into the wrong date folder back where its id says, and leaves a taken place alone', async () => {
    const moved = cases[damages.findIndex((d) => d.what.startsWith('an import restored'))] as { id: string; folderId: string };
    const taken = cases[damages.findIndex((d) => d.what.startsWith('a copy'))] as { id: string; folderId: string };

    // the servers before found imports they would not read, whose pages were never swept: no stop vouched for acme (ADR 0025)
    expect(await readdir(server.dataRoot)).not.toContain('.toa-clean-stop');
    const out = capture();
    expect(await fsck(server.config, true, out)).toBe(1);
    const findings = out.data.findings as FsckFinding[];
    // nor does the repair, which leaves one such import (the copy whose place is taken)
    expect(await readdir(server.dataRoot)).not.toContain('.toa-clean-stop');

    expect(findings.find((f) => f.path === path.join('acme', ...moved.folderId.split('_')))).toMatchObject({
      repaired: true,
      fix: `moved to ${path.join('acme', ...moved.id.split('_'))}`,
    });
    expect(findings.find((f) => f.path === path.join('acme', ...taken.folderId.split('_')))).toMatchObject({ repaired: false });
    const running = await startTestServer({ dir });
    try {
      const response = await running.as(ALICE)(paths.import('acme', moved.id));
      expect(response.status).toBe(200);
      expect(importSchema.parse(await response.json())).toMatchObject({ id: moved.id, status: 'DRAFT' });
    } finally {
      await running.close();
    }
    const after = capture();
    await fsck(server.config, false, after);
    expect((after.data.findings as FsckFinding[]).map((f) => f.path)).not.toContain(path.join('acme', ...moved.folderId.split('_')));
  });
});
