import { mkdir, mkdtemp, readdir, readFile, readlink, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from './audit-log.js';

let dir: string;
const opened: AuditLog[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'toa-audit-'));
});
afterEach(async () => {
  for (const audit of opened.splice(0)) await audit.close();
  await rm(dir, { recursive: true, force: true });
});

/** How many of this process's descriptors are open on `file` (Linux: /proc/self/fd). */
async function descriptorsOn(file: string): Promise<number> {
  const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target === file).length;
}

/** An audit log in the test's folder, closed after the test. */
function auditLog(): AuditLog {
  const audit = new AuditLog(path.join(dir, 'logs'));
  opened.push(audit);
  return audit;
}

describe('AuditLog', () => {
  it('keeps every line of a burst, in the order appended, each caller told once its line is in the file', async () => {
    const audit = auditLog();
    const appended = Array.from({ length: 40 }, (_, i) => audit.append({ domain: 'acme', action: 'page.added', importId: `import-${i}` }));
    await Promise.all(appended);
    const lines = (await readFile(audit.file('acme'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { importId: string }).importId)).toEqual(Array.from({ length: 40 }, (_, i) => `import-${i}`));
    expect(await audit.query('acme', { limit: 5, importId: 'import-39' })).toMatchObject([{ action: 'page.added', importId: 'import-39' }]);
  });

  it('creates the file anew when it was removed by hand between appends', async () => {
    const audit = auditLog();
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    await rm(audit.file('acme'));
    await audit.append({ domain: 'acme', action: 'import.deleted', importId: 'a' });
    expect((await readFile(audit.file('acme'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('writes to the file at its name after a rotation renamed the one it had open; the rotated file keeps its lines', async () => {
    const audit = auditLog();
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    await rename(audit.file('acme'), `${audit.file('acme')}.1`);
    await audit.append({ domain: 'acme', action: 'import.deleted', importId: 'a' });
    expect(await audit.query('acme', { limit: 5 })).toMatchObject([{ action: 'import.deleted', importId: 'a' }]);
    expect(await readFile(`${audit.file('acme')}.1`, 'utf8')).toContain('"action":"import.created"');
  });

  it('closes its files only after the appends under way are in them', async () => {
    const audit = new AuditLog(path.join(dir, 'logs'));
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    const underWay = audit.append({ domain: 'acme', action: 'page.added', importId: 'a' });
    // a few turns of the microtask queue: the write is handed to the thread pool, not yet done
    for (let turn = 0; turn < 5; turn += 1) await Promise.resolve();
    await audit.close();
    await underWay;
    expect((await readFile(audit.file('acme'), 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('closes its files once no append is under way or waiting, and keeps none open for an append after', async () => {
    const audit = new AuditLog(path.join(dir, 'logs'));
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    const first = audit.append({ domain: 'acme', action: 'page.added', importId: 'a' });
    // the next line as soon as the first is in, as the retention sweep appends them one after another
    const next = first.then(() => audit.append({ domain: 'acme', action: 'page.added', importId: 'b' }));
    await Promise.all([audit.close(), first, next]);
    expect(await descriptorsOn(audit.file('acme'))).toBe(0);
    await audit.append({ domain: 'acme', action: 'import.deleted', importId: 'a' });
    expect(await descriptorsOn(audit.file('acme'))).toBe(0);
    expect((await readFile(audit.file('acme'), 'utf8')).trim().split('\n')).toHaveLength(4);
  });

  it('makes the log folder again when it was removed by hand between appends', async () => {
    const audit = auditLog();
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    await rm(path.join(dir, 'logs'), { recursive: true });
    await audit.append({ domain: 'acme', action: 'import.deleted', importId: 'a' });
    expect(await audit.query('acme', { limit: 5 })).toMatchObject([{ action: 'import.deleted', importId: 'a' }]);
  });

  it('rejects the appends it could not write, and writes the next ones', async () => {
    const audit = auditLog();
    await audit.append({ domain: 'acme', action: 'import.created', importId: 'a' });
    // a folder where the file should be: appending fails (EISDIR)
    await rm(audit.file('acme'));
    await mkdir(audit.file('acme'));
    const refused = [audit.append({ domain: 'acme', action: 'x' }), audit.append({ domain: 'acme', action: 'y' })];
    for (const append of refused) await expect(append).rejects.toThrow();
    await rm(audit.file('acme'), { recursive: true });
    await audit.append({ domain: 'acme', action: 'z' });
    expect((await readFile(audit.file('acme'), 'utf8')).trim()).toContain('"action":"z"');
  });
});
