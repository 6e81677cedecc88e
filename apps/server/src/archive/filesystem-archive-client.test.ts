import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from './archive-client.js';
import { ArchiveCallLog } from './call-log.js';
import { FilesystemArchiveClient, filesystemBatchId, MANIFEST_FILE, publishStaged, STAGING_FOLDER } from './filesystem-archive-client.js';
import { buildManifest, publishedManifestSchema } from './manifest.js';
import { pathExists } from '../fs/atomic-fs.js';
import { DOMAIN, fixturePageFile, IMPORT_ID, samplePages, sha256, withKey, writeBatch } from '../../test/support/batch-fixture.js';

let dir: string;
let root: string;
let importDir: string;
let callLog: ArchiveCallLog;
let client: FilesystemArchiveClient;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'toa-fs-archive-'));
  root = path.join(dir, 'archive');
  importDir = path.join(dir, 'import');
  callLog = new ArchiveCallLog(path.join(dir, 'logs'));
  client = new FilesystemArchiveClient(DOMAIN, root, callLog);
});

afterEach(async () => {
  await callLog.close();
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** Every entry under the archive root with its modification time and inode: "nothing written" means this does not change. */
async function snapshot(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  const described = await Promise.all(
    entries.map(async (entry) => {
      const stats = await stat(path.join(folder, entry));
      return `${entry} ${stats.ino} ${stats.mtimeMs} ${stats.size}`;
    }),
  );
  return described.sort();
}

function lockFile(key: string): string {
  return path.join(root, STAGING_FOLDER, `${key}.lock`);
}

/** A staging folder of `key` with half a page in it, as a publication under way (or a crashed one) has. */
async function foreignStaging(key: string): Promise<string> {
  const folder = path.join(root, STAGING_FOLDER, `${key}-0123456789ab`);
  await mkdir(path.join(folder, 'doc-1'), { recursive: true });
  await writeFile(path.join(folder, 'doc-1', 'page-1.eml'), 'half a page');
  return folder;
}

/** The pid of a process that has ended (a crashed server). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function callLogLines(): Promise<Record<string, unknown>[]> {
  await callLog.close();
  const text = await readFile(path.join(dir, 'logs', 'archive-calls.log'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('FilesystemArchiveClient', () => {
  it('publishes exactly the pages, with their bytes, and a manifest describing them', async () => {
    const batch = await writeBatch(importDir, samplePages());

    const { batchId } = await client.submit(batch);

    expect(batch.idempotencyKey).toMatch(new RegExp(`^${IMPORT_ID}\\.[0-9a-f]{16}$`));
    expect(batchId).toBe(filesystemBatchId(batch.idempotencyKey));
    const published = path.join(root, batch.idempotencyKey);
    expect(await filesUnder(published)).toEqual(['doc-1/page-1.eml', 'doc-2/page-1.pdf', 'doc-2/page-2.bin', MANIFEST_FILE]);
    const manifest = publishedManifestSchema.parse(JSON.parse(await readFile(path.join(published, MANIFEST_FILE), 'utf8')));
    expect(manifest).toEqual({ batchId, ...buildManifest(batch) });
    for (const document of manifest.documents) {
      for (const page of document.pages) {
        const bytes = await readFile(path.join(published, page.file));
        const original = await readFile(path.join(importDir, `doc-${document.n}`, 'pages', `page-${page.m}.bin`));
        expect(bytes.equals(original)).toBe(true);
        expect(sha256(bytes)).toBe(page.sha256);
        expect(bytes.length).toBe(page.size);
      }
    }
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([]);
    expect(await callLogLines()).toEqual([
      expect.objectContaining({ domain: DOMAIN, importId: IMPORT_ID, client: 'filesystem', target: root, attempt: 1, outcome: 'ok', batchId }),
    ]);
  });

  it('answers a second submit with the same batch and writes nothing', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const first = await client.submit(batch);
    const before = await snapshot(root);
    // the pages are not even read again
    await rm(importDir, { recursive: true });

    const second = await client.submit(batch);

    expect(second).toEqual(first);
    expect(await snapshot(root)).toEqual(before);
  });

  it('removes a staging folder a crashed run of the same content left behind, and only that one', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const leftover = path.join(root, STAGING_FOLDER, `${batch.idempotencyKey}-0123456789ab`);
    const otherImport = path.join(root, STAGING_FOLDER, '2026-11-21_0943-00000000-0123456789ab');
    for (const folder of [leftover, otherImport]) {
      await mkdir(path.join(folder, 'doc-1'), { recursive: true });
      await writeFile(path.join(folder, 'doc-1', 'page-1.eml'), 'half a page');
    }

    await client.submit(batch);

    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([path.basename(otherImport)]);
  });

  it("takes over the lock a crashed run on this host left, and removes that run's staging folder", async () => {
    const batch = await writeBatch(importDir, samplePages());
    const leftover = await foreignStaging(batch.idempotencyKey);
    await writeFile(lockFile(batch.idempotencyKey), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-11-21T09:43:00.000Z' }));

    expect(await client.submit(batch)).toEqual({ batchId: filesystemBatchId(batch.idempotencyKey) });

    expect(await pathExists(leftover)).toBe(false);
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([]);
  });

  it('sweeps staging folders older than an hour', async () => {
    const stale = path.join(root, STAGING_FOLDER, `${IMPORT_ID}-0123456789ab`);
    const fresh = path.join(root, STAGING_FOLDER, '2026-11-21_0943-00000000-0123456789ab');
    await mkdir(stale, { recursive: true });
    await mkdir(fresh, { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);

    expect(await client.sweepStaging()).toEqual([path.basename(stale)]);
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([path.basename(fresh)]);
  });

  it('refuses a page whose bytes do not match the recorded hash and publishes nothing', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const damaged = batch.documents[1]?.pages[0];
    if (!damaged) throw new Error('fixture without a second document');
    const file = fixturePageFile(importDir, 2, damaged.m);
    const bytes = await readFile(file);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    await writeFile(file, bytes);

    const failure = await client.submit(batch).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ArchiveError);
    expect(failure).toMatchObject({ retryable: false, message: expect.stringContaining('Page 1 ("invoice.PDF") of document 2 is damaged') });
    expect(await readdir(root)).toEqual([STAGING_FOLDER]);
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([]);
    expect(await callLogLines()).toEqual([expect.objectContaining({ outcome: 'error', error: (failure as Error).message })]);
  });

  it('refuses a page that is missing from the import', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await rm(path.join(importDir, 'doc-1'), { recursive: true });

    await expect(client.submit(batch)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('the file is missing') });
    expect(await readdir(root)).toEqual([STAGING_FOLDER]);
  });

  it('makes one batch of two concurrent submits of one import, even from two clients', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const twin = new FilesystemArchiveClient(DOMAIN, root, callLog);

    const [first, second] = await Promise.all([client.submit(batch), twin.submit(batch)]);

    expect(second).toEqual(first);
    expect((await readdir(root)).sort()).toEqual([STAGING_FOLDER, batch.idempotencyKey]);
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([]);
  });

  it('keeps the batch another writer published first when its own rename loses the race', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const { batchId } = await client.submit(batch);
    const target = path.join(root, batch.idempotencyKey);
    const published = await snapshot(target);
    const staging = path.join(root, STAGING_FOLDER, `${batch.idempotencyKey}-0123456789ab`);
    await mkdir(staging);
    const manifest = { batchId: 'FS-late-writer', ...buildManifest(batch) };
    await writeFile(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest));

    expect(await publishStaged(staging, target, manifest)).toBe(batchId);
    expect(await snapshot(target)).toEqual(published);
  });

  it('never overwrites a folder for the import that is not a valid batch', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await mkdir(path.join(root, batch.idempotencyKey), { recursive: true });
    await writeFile(path.join(root, batch.idempotencyKey, MANIFEST_FILE), '{"batchId": "x"}');

    await expect(client.submit(batch)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('not a valid batch') });
    expect(await filesUnder(path.join(root, batch.idempotencyKey))).toEqual([MANIFEST_FILE]);
  });

  it('publishes edited content as a new batch beside the earlier one, which it leaves alone', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const first = await client.submit(batch);
    const earlier = await snapshot(path.join(root, batch.idempotencyKey));
    const edited = withKey({
      ...batch,
      documents: batch.documents.map((d) => (d.n === 1 ? { ...d, attributes: { ...d.attributes, supplier: 'Edited' } } : d)),
    });

    const second = await client.submit(edited);

    expect(edited.idempotencyKey).not.toBe(batch.idempotencyKey);
    expect(second.batchId).toBe(filesystemBatchId(edited.idempotencyKey));
    expect(second.batchId).not.toBe(first.batchId);
    const manifest = publishedManifestSchema.parse(JSON.parse(await readFile(path.join(root, edited.idempotencyKey, MANIFEST_FILE), 'utf8')));
    expect(manifest.documents[0]?.attributes.supplier).toBe('Edited');
    expect(manifest.idempotencyKey).toBe(edited.idempotencyKey);
    expect(await snapshot(path.join(root, batch.idempotencyKey))).toEqual(earlier);
  });

  it('refuses a key whose batch folder holds other content, as the contract answers 422', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await client.submit(batch);
    const file = path.join(root, batch.idempotencyKey, MANIFEST_FILE);
    const altered = publishedManifestSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    (altered.documents[0] as { attributes: Record<string, unknown> }).attributes.supplier = 'Changed in the archive';
    await writeFile(file, JSON.stringify(altered));
    const before = await snapshot(root);

    await expect(client.submit(batch)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('other content') });
    expect(await snapshot(root)).toEqual(before);
  });

  it('answers with a batch an earlier version published under the bare import id when it holds the same content', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const legacy = path.join(root, IMPORT_ID);
    const { idempotencyKey: _key, ...legacyManifest } = { batchId: `FS-${IMPORT_ID}`, ...buildManifest(batch) };
    await mkdir(legacy, { recursive: true });
    await writeFile(path.join(legacy, MANIFEST_FILE), JSON.stringify(legacyManifest));

    expect(await client.submit(batch)).toEqual({ batchId: `FS-${IMPORT_ID}` });
    expect((await readdir(root)).sort()).toEqual([IMPORT_ID]);

    const edited = withKey({ ...batch, documents: batch.documents.slice(0, 1) });
    expect(await client.submit(edited)).toEqual({ batchId: filesystemBatchId(edited.idempotencyKey) });
    expect((await readdir(root)).sort()).toEqual([STAGING_FOLDER, IMPORT_ID, edited.idempotencyKey]);
  });

  it('refuses a batch whose key does not name its content', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const stale = { ...batch, documents: batch.documents.slice(0, 1) };

    await expect(client.submit(stale)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('does not name its content') });
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an import id that is not one before touching the file system', async () => {
    const batch = { ...(await writeBatch(importDir, samplePages())), importId: '../escape' };

    await expect(client.submit(batch)).rejects.toMatchObject({ retryable: false });
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('FilesystemArchiveClient, several processes on one archive root', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = undefined;
  });

  /** A live process of this host that holds the lock of `key`, as another node publishing the same batch does. */
  async function heldByLiveProcess(key: string): Promise<number> {
    holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = holder.pid as number;
    await mkdir(path.join(root, STAGING_FOLDER), { recursive: true });
    await writeFile(lockFile(key), JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString() }));
    return pid;
  }

  it('never removes the staging folder of a publication under way in another process, and fails retryably when it takes too long', async () => {
    const batch = await writeBatch(importDir, samplePages());
    const pid = await heldByLiveProcess(batch.idempotencyKey);
    const underWay = await foreignStaging(batch.idempotencyKey);
    const lock = await readFile(lockFile(batch.idempotencyKey), 'utf8');
    const impatient = new FilesystemArchiveClient(DOMAIN, root, callLog, { lockWaitMs: 300 });

    const failure = impatient.submit(batch);

    await expect(failure).rejects.toMatchObject({ retryable: true, message: expect.stringContaining(`another TOA server (pid ${pid} on ${hostname()}`) });
    expect(await filesUnder(underWay)).toEqual(['doc-1/page-1.eml']);
    expect(await readFile(lockFile(batch.idempotencyKey), 'utf8')).toBe(lock);
    expect(await pathExists(path.join(root, batch.idempotencyKey))).toBe(false);
  });

  it('waits for the other process and takes over once it is gone (a crash), removing only what it left', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await heldByLiveProcess(batch.idempotencyKey);
    const leftover = await foreignStaging(batch.idempotencyKey);
    const exited = new Promise((resolve) => holder?.once('exit', resolve));

    const publishing = client.submit(batch);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await pathExists(leftover)).toBe(true);
    holder?.kill('SIGKILL');
    await exited;

    expect(await publishing).toEqual({ batchId: filesystemBatchId(batch.idempotencyKey) });
    expect(await pathExists(leftover)).toBe(false);
    expect(await readdir(path.join(root, STAGING_FOLDER))).toEqual([]);
  });

  it('answers with the batch the other process published while it waited', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await heldByLiveProcess(batch.idempotencyKey);

    const waiting = client.submit(batch);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // the other process: publishes under its lock (here: the same content, by a client of its own), then releases it
    const other = new FilesystemArchiveClient(DOMAIN, path.join(dir, 'elsewhere'), callLog);
    await other.submit(batch);
    await rename(path.join(dir, 'elsewhere', batch.idempotencyKey), path.join(root, batch.idempotencyKey));
    const published = await snapshot(path.join(root, batch.idempotencyKey));
    await rm(lockFile(batch.idempotencyKey));

    expect(await waiting).toEqual({ batchId: filesystemBatchId(batch.idempotencyKey) });
    expect(await snapshot(path.join(root, batch.idempotencyKey))).toEqual(published);
  });

  it('never takes the lock of another host, whatever its pid means here, and says which file an administrator may remove', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await mkdir(path.join(root, STAGING_FOLDER), { recursive: true });
    const lock = JSON.stringify({ pid: deadPid(), host: `${hostname()}-elsewhere`, startedAt: '2026-11-21T09:43:00.000Z' });
    await writeFile(lockFile(batch.idempotencyKey), lock);
    const underWay = await foreignStaging(batch.idempotencyKey);
    const impatient = new FilesystemArchiveClient(DOMAIN, root, callLog, { lockWaitMs: 300 });

    const failure = impatient.submit(batch);

    await expect(failure).rejects.toMatchObject({ retryable: true, message: expect.stringContaining(`on ${hostname()}-elsewhere`) });
    await expect(failure).rejects.toThrow(`if it is certainly gone, an administrator removes ${lockFile(batch.idempotencyKey)}`);
    expect(await readFile(lockFile(batch.idempotencyKey), 'utf8')).toBe(lock);
    expect(await filesUnder(underWay)).toEqual(['doc-1/page-1.eml']);
  });

  it('sweeps neither an old staging folder whose batch a live process publishes nor its lock, but the lock a crashed run left', async () => {
    const batch = await writeBatch(importDir, samplePages());
    await heldByLiveProcess(batch.idempotencyKey);
    const underWay = await foreignStaging(batch.idempotencyKey);
    const crashedLock = lockFile(`${IMPORT_ID}.0123456789abcdef`);
    await writeFile(crashedLock, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-11-21T09:43:00.000Z' }));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const entry of [underWay, lockFile(batch.idempotencyKey), crashedLock]) await utimes(entry, twoHoursAgo, twoHoursAgo);

    expect(await client.sweepStaging()).toEqual([]);

    expect((await readdir(path.join(root, STAGING_FOLDER))).sort()).toEqual([path.basename(lockFile(batch.idempotencyKey)), path.basename(underWay)].sort());
  });

  it('sweeps the takeover guards a crash left (their process gone), never one a live process holds', async () => {
    const pid = await heldByLiveProcess(`${IMPORT_ID}.fedcba9876543210`);
    const crashed = `${lockFile(`${IMPORT_ID}.0123456789abcdef`)}.takeover-0000000000000001`;
    const live = `${lockFile(`${IMPORT_ID}.fedcba9876543210`)}.takeover-0000000000000002`;
    await writeFile(crashed, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-11-21T09:43:00.000Z' }));
    await writeFile(live, JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString() }));
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const entry of [crashed, live]) await utimes(entry, twoHoursAgo, twoHoursAgo);

    await client.sweepStaging();

    expect((await readdir(path.join(root, STAGING_FOLDER))).sort()).toEqual(
      [path.basename(lockFile(`${IMPORT_ID}.fedcba9876543210`)), path.basename(live)].sort(),
    );
  });
});
