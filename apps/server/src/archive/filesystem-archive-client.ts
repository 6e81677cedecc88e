import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { IMPORT_ID_PATTERN } from '@toa/api/ids';
import { errnoCode } from '../errors.js';
import { fsyncDir, pathExists, readdirOrEmpty, writeFileDurable } from '../fs/atomic-fs.js';
import type { FileDigest } from '../fs/digest.js';
import { writeNewFileDurable } from '../fs/durable-stream.js';
import { KeyedLock } from '../fs/keyed-lock.js';
import { guardedLock, type LockOwner, runningLockOwner, tryProcessLock } from '../fs/process-lock.js';
import { type ArchiveBatch, type ArchiveClient, ArchiveError, type ArchivePage, interruptedError } from './archive-client.js';
import type { ArchiveCallLog } from './call-log.js';
import { parseJson } from './json.js';
import {
  assertValidBatch,
  type BatchManifest,
  buildManifest,
  contentDigest,
  damagedPageError,
  IDEMPOTENCY_KEY_PATTERN,
  pageFile,
  type PublishedManifest,
  publishedManifestSchema,
} from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';
/** Batches are assembled here, beside the published ones, so that publishing is one rename on one file system. */
export const STAGING_FOLDER = '.staging';
/** A staging folder untouched for this long belongs to a run that crashed. */
const STALE_STAGING_MS = 60 * 60 * 1000;
/** How long a publish waits for another server publishing the same batch (it is copying the pages) before it fails, to be retried. */
const PUBLISH_LOCK_WAIT_MS = 30_000;
const PUBLISH_LOCK_POLL_MS = 100;
const LOCK_SUFFIX = '.lock';

/** Derived from the idempotency key, so that submitting the same content again names the same batch. */
export function filesystemBatchId(idempotencyKey: string): string {
  return `FS-${idempotencyKey}`;
}

/**
 * Serialises the publication of one batch folder within the process. Shared
 * by every client in the process because two domains may point at the same
 * archive root; between processes (several nodes on one archive root) the
 * key's lock file in the staging folder does it.
 */
const publishing = new KeyedLock();

export interface FilesystemArchiveOptions {
  /** how long to wait for another process publishing the same batch, in ms (default 30 s) */
  lockWaitMs?: number;
}

/**
 * The embedded archive: each batch is a folder `<root>/<idempotencyKey>/`
 * holding `manifest.json` and the page files. A batch folder appears complete
 * or not at all, and its existence is what makes a repeated submit of the same
 * content idempotent; edited content has another key, so another folder.
 */
export class FilesystemArchiveClient implements ArchiveClient {
  readonly kind = 'filesystem';
  readonly honoursIdempotencyKey = true;
  private readonly stagingRoot: string;
  private readonly lockWaitMs: number;

  constructor(
    private readonly domain: string,
    private readonly root: string,
    private readonly callLog: ArchiveCallLog,
    options: FilesystemArchiveOptions = {},
  ) {
    this.stagingRoot = path.join(root, STAGING_FOLDER);
    this.lockWaitMs = options.lockWaitMs ?? PUBLISH_LOCK_WAIT_MS;
  }

  async submit(batch: ArchiveBatch, signal?: AbortSignal): Promise<{ batchId: string }> {
    const record = this.callLog.begin({
      domain: this.domain,
      importId: batch.importId,
      idempotencyKey: batch.idempotencyKey,
      client: this.kind,
      target: this.root,
      attempt: 1,
    });
    try {
      assertValidBatch(batch, this.domain);
      const target = path.join(this.root, batch.idempotencyKey);
      const batchId = await publishing.run(target, () => this.publish(batch, target, signal));
      await record({ outcome: 'ok', batchId });
      return { batchId };
    } catch (error) {
      const failure = toArchiveError(error, signal);
      await record({ outcome: 'error', error: failure.message });
      throw failure;
    }
  }

  /**
   * Removes staging folders untouched for an hour whose batch no live
   * process is publishing, and the lock files and takeover guards crashed
   * runs left.
   */
  async sweepStaging(): Promise<string[]> {
    const cutoff = Date.now() - STALE_STAGING_MS;
    return this.removeStaging(async (name, modifiedMs) => {
      if (modifiedMs >= cutoff) return false;
      const guarded = guardedLock(name);
      if (name.endsWith(LOCK_SUFFIX) || guarded) {
        // taken and given back at once: only a lock whose holder is provably gone is taken; taking it removes the takeover guards a crash left
        const attempt = await tryProcessLock(path.join(this.stagingRoot, guarded ?? name));
        if (attempt.taken) await attempt.release();
        return false;
      }
      const key = stagingTarget(name);
      if (key === undefined) return true;
      if (publishing.isLocked(path.join(this.root, key))) return false;
      return (await runningLockOwner(this.lockFile(key))) === undefined;
    });
  }

  private async publish(batch: ArchiveBatch, target: string, signal: AbortSignal | undefined): Promise<string> {
    const manifest: PublishedManifest = { batchId: filesystemBatchId(batch.idempotencyKey), ...buildManifest(batch) };
    const existing = (await readPublishedBatchId(target, manifest)) ?? (await this.legacyBatchId(manifest));
    if (existing !== undefined) return existing;

    await mkdir(this.stagingRoot, { recursive: true });
    const release = await this.lockKey(batch.idempotencyKey, signal);
    try {
      // another process may have published it while this one waited for the lock
      const published = await readPublishedBatchId(target, manifest);
      if (published !== undefined) return published;
      // every process publishing this key holds its lock, so any staging folder of it is a crashed run's
      await this.removeStaging((name) => stagingTarget(name) === batch.idempotencyKey);
      const staging = path.join(this.stagingRoot, `${batch.idempotencyKey}-${randomBytes(6).toString('hex')}`);
      await mkdir(staging);
      try {
        await stageBatch(staging, batch, manifest, signal);
        return await publishStaged(staging, target, manifest);
      } finally {
        // after a successful rename there is nothing left to remove
        await rm(staging, { recursive: true, force: true });
      }
    } finally {
      await release();
    }
  }

  private lockFile(key: string): string {
    return path.join(this.stagingRoot, `${key}${LOCK_SUFFIX}`);
  }

  /**
   * Takes the lock of `key` between processes (`<staging>/<key>.lock`, naming
   * host and pid): waits while another live process holds it, takes over one
   * whose process on this host is gone, and never takes one of another host.
   * Fails retryably when it stays held for `lockWaitMs`.
   */
  private async lockKey(key: string, signal: AbortSignal | undefined): Promise<() => Promise<void>> {
    const file = this.lockFile(key);
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      const attempt = await tryProcessLock(file);
      if (attempt.taken) return attempt.release;
      if (Date.now() >= deadline) throw heldElsewhereError(attempt.owner, attempt.otherHost, file, this.lockWaitMs);
      await delay(PUBLISH_LOCK_POLL_MS, undefined, signal ? { signal } : {});
    }
  }

  /**
   * Versions before keys named the content published `<root>/<importId>/`. An
   * import left PENDING across the upgrade may be there already: its batch is
   * the answer when it holds exactly this content. Anything else in that
   * folder is an earlier version of the import, or not ours: left alone.
   */
  private async legacyBatchId(manifest: PublishedManifest): Promise<string | undefined> {
    try {
      return await readPublishedBatchId(path.join(this.root, manifest.importId), manifest);
    } catch (error) {
      if (error instanceof ArchiveError) return undefined;
      throw error;
    }
  }

  /** Removes the staging folders `select` picks; returns their names. */
  private async removeStaging(select: (name: string, modifiedMs: number) => boolean | Promise<boolean>): Promise<string[]> {
    const names = await readdirOrEmpty(this.stagingRoot);
    const removed: string[] = [];
    for (const name of names) {
      const stats = await lstat(path.join(this.stagingRoot, name)).catch((error: unknown) => {
        if (errnoCode(error) === 'ENOENT') return undefined; // gone meanwhile (a lock released)
        throw error;
      });
      if (!stats || !(await select(name, stats.mtimeMs))) continue;
      await rm(path.join(this.stagingRoot, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }
}

/** Staging folders are named `<idempotencyKey>-<12 hex>` (`<importId>-<12 hex>` before keys named the content). */
function stagingTarget(name: string): string | undefined {
  const folder = name.slice(0, name.lastIndexOf('-'));
  return IDEMPOTENCY_KEY_PATTERN.test(folder) || IMPORT_ID_PATTERN.test(folder) ? folder : undefined;
}

/** Copies and verifies every page, then writes the manifest; everything flushed. */
async function stageBatch(staging: string, batch: ArchiveBatch, manifest: PublishedManifest, signal: AbortSignal | undefined): Promise<void> {
  for (const document of batch.documents) {
    const folders = new Set<string>();
    for (const page of document.pages) {
      signal?.throwIfAborted();
      const file = path.join(staging, ...pageFile(document.n, page).split('/'));
      await mkdir(path.dirname(file), { recursive: true });
      folders.add(path.dirname(file));
      await copyVerified(document.n, page, file);
    }
    for (const folder of folders) await fsyncDir(folder);
  }
  await writeFileDurable(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await fsyncDir(staging);
}

/**
 * Streams the page into the batch, hashing the bytes as they are written, and
 * compares size and hash with what the import recorded: a difference means the
 * import on disk is damaged, which no retry will mend.
 */
async function copyVerified(n: number, page: ArchivePage, to: string): Promise<void> {
  // the page is found before the copy starts: a missing page is a damaged
  // import, and the Blob's stream reads nothing until the copy pulls it
  let source: Blob;
  try {
    source = await page.bytes();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw damagedPageError(n, page, 'the file is missing', error);
    throw error;
  }
  const copied: FileDigest = await writeNewFileDurable(to, [Readable.from(source.stream())]);
  if (copied.size !== page.size) throw damagedPageError(n, page, `${copied.size} bytes instead of ${page.size}`);
  if (copied.sha256 !== page.sha256) throw damagedPageError(n, page, 'its SHA-256 hash does not match');
}

/**
 * Publishes the staged folder with one rename. Losing a race to another
 * writer of the same import is fine: the batch it published is the answer.
 */
export async function publishStaged(staging: string, target: string, manifest: PublishedManifest): Promise<string> {
  try {
    await rename(staging, target);
  } catch (error) {
    const existing = await readPublishedBatchId(target, manifest).catch(() => undefined);
    if (existing !== undefined) return existing;
    throw error;
  }
  await fsyncDir(path.dirname(target));
  await fsyncDir(path.dirname(staging));
  return manifest.batchId;
}

/**
 * The batch id of an already published batch, `undefined` when there is none.
 * A folder that is there but is not a valid batch of this import blocks the
 * submit: overwriting what someone put into the archive is never safe. Nor
 * is answering with a batch of other content: the contract's 422 for a key
 * repeated with other content (docs/archive.md, Idempotency).
 */
export async function readPublishedBatchId(batchDir: string, expected: BatchManifest): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(batchDir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && !(await pathExists(batchDir))) return undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw notABatchError(error);
    throw error;
  }
  const parsed = publishedManifestSchema.safeParse(parseJson(text));
  if (!parsed.success || parsed.data.importId !== expected.importId) throw notABatchError(parsed.error);
  if (contentDigest(parsed.data) !== contentDigest(expected)) {
    throw new ArchiveError(
      'The archive already holds a batch under this key with other content; nothing was written. Ask an administrator to check the archive.',
      false,
    );
  }
  return parsed.data.batchId;
}

function heldElsewhereError(owner: LockOwner, otherHost: boolean, file: string, waitedMs: number): ArchiveError {
  const holder = `another TOA server (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt})`;
  const remedy = otherHost ? `; this host cannot tell whether it still runs: if it is certainly gone, an administrator removes ${file}` : '';
  return new ArchiveError(`${holder} is publishing this batch and did not finish within ${waitedMs / 1000} s; try again later${remedy}.`, true);
}

function notABatchError(cause: unknown): ArchiveError {
  return new ArchiveError('The archive already holds a folder for this import that is not a valid batch; ask an administrator to check the archive.', false, {
    cause,
  });
}

function toArchiveError(error: unknown, signal: AbortSignal | undefined): ArchiveError {
  if (error instanceof ArchiveError) return error;
  if (signal?.aborted) return interruptedError(error);
  const code = errnoCode(error) ?? 'unexpected error';
  return new ArchiveError(`The archive folder could not be written (${code}); try again later or ask an administrator.`, true, { cause: error });
}
