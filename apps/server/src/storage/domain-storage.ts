import type { ReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DATE_FOLDER_PATTERN, joinImportId } from '@toa/api/ids';
import type { Document, Import, ImportStatus, Page, Sidecar, Source } from '@toa/api/imports';
import { IMPORT_SCHEMA_VERSION, isMessageType, SIDECAR_SCHEMA_VERSION } from '@toa/api/imports';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { AppError, errnoCode, isAppError } from '../errors.js';
import type { FollowedParse, ListedAttachment, MessageSummary } from '../mail/summarize-message.js';
import { UNKNOWN_MEDIA_TYPE } from '../media-type.js';
import type { ZonedTime } from '../zoned-time.js';
import { fsyncDir, openFileAsBlob, readdirOrEmpty, tmpSiblingPath, writeFileAtomic, writeFileDurable } from '../fs/atomic-fs.js';
import { crashPoint } from '../fs/crash-points.js';
import type { FileDigest } from '../fs/digest.js';
import { writeNewFileDurable } from '../fs/durable-stream.js';
import type { KeyedLock } from '../fs/keyed-lock.js';
import { noteLeftover, removeTemporary } from '../fs/leftovers.js';
import { applyJournal, writeJournal } from './extract-journal.js';
import { ImportFiles, readSidecarFile, serializeImport, serializeSidecar } from './import-files.js';
import type { FilingQuery, KindTally } from './filing-memory.js';
import { ImportIndex, type ListingQuery, type Usage } from './import-index.js';
import { IMPORT_FOLDER_PATTERN, ImportPaths, type Layout, newImportFolderName } from './layout.js';
import { LastValuesStore } from './last-values-store.js';
import { ParseAlong } from './parse-along.js';
import { type SweepOptions, type SweepReport, sweptImports } from './recovery.js';

export interface Owner {
  userId: string;
  userName: string;
  userEmail: string;
}

/** What the sender says of a page body: metadata only, cleaned by the caller. */
export interface PageMeta {
  filename: string;
  contentType: string;
}

/**
 * A page body received into a temporary file beside its document's pages:
 * hashed and flushed, not listed yet. The file stays storage's own: a caller
 * hands the staged page to `addPage` (which takes it over) or `discard`s it.
 */
export interface StagedPage extends PageMeta {
  /** bytes received */
  readonly size: number;
  /** SHA-256 of those bytes, lowercase hex */
  readonly sha256: string;
  /** Removes the temporary; harmless when it is gone already. */
  discard(): Promise<void>;
}

/** Where a page body goes: storage stages it (temporary file, hash, flush) and answers what it received (`stagePage`). */
export type PageSink = (body: NodeJS.ReadableStream, meta: PageMeta) => Promise<StagedPage>;

/** The temporary behind each staged page: known to this module only. */
const stagedFiles = new WeakMap<StagedPage, string>();

/** The summary of each staged message parsed while it arrived; undefined when the parse was given up. */
const summariesAlong = new WeakMap<StagedPage, Promise<MessageSummary | undefined>>();

function stagedFile(staged: StagedPage): string {
  const file = stagedFiles.get(staged);
  if (file === undefined) throw new Error('this page was not staged by DomainStorage.stagePage');
  return file;
}

/** Checks run under the lock on the freshly read import (owner, status, limits). */
export type Guard = (current: Import) => void;

/** The mail parsing storage asks for; `owner` is the owner key of the import the message belongs to (its line in the parse queue). */
export interface MailTools {
  summarizeMessage(file: string, owner: string): Promise<MessageSummary>;
  /** starts summarizing `file` while it is still being written, if a mail worker is free for it (ADR 0020); absent: messages are parsed once whole */
  followMessage?(file: string, owner: string): FollowedParse | undefined;
  extractParts(args: {
    source: string;
    listing?: Pick<MessageSummary, 'attachments' | 'protection'>;
    partIds?: string[];
    rewrittenPath: string;
    partPath: (index: number) => string;
    owner: string;
  }): Promise<{
    parts: Array<{ partId: string; filename: string; contentType: string; size: number; sha256: string; path: string; isMessage: boolean }>;
    /** undefined: the message is signed or encrypted and was kept whole, the parts are copies */
    rewritten?: { size: number; sha256: string };
  }>;
}

/** Whether a sidecar read from disk describes the page as it is now, in the current schema (else it is rebuilt). */
export function sidecarFits(sidecar: Sidecar | undefined, page: Pick<Page, 'size' | 'sha256'>): sidecar is Sidecar {
  return sidecar !== undefined && sidecar.schemaVersion === SIDECAR_SCHEMA_VERSION && sidecar.size === page.size && sidecar.sha256 === page.sha256;
}

export function findDocument(current: Import, n: number): Document {
  const doc = current.documents.find((d) => d.n === n);
  if (!doc) throw new AppError('DOCUMENT_NOT_FOUND', `import ${current.id} has no document ${n}`);
  return doc;
}

export function findPage(current: Import, n: number, m: number): Page {
  const page = findDocument(current, n).pages.find((p) => p.m === m);
  if (!page) throw new AppError('PAGE_NOT_FOUND', `document ${n} of import ${current.id} has no page ${m}`);
  return page;
}

/**
 * A sidecar's listing as `extractParts` takes it, or undefined when an
 * attachment in it has no filename (the server always writes one; a sidecar
 * edited by hand may lack it): the message is then listed afresh.
 */
function listingOf(sidecar: Sidecar): Pick<MessageSummary, 'attachments' | 'protection'> | undefined {
  const { attachments, protection } = sidecar;
  if (!attachments.every((attachment): attachment is ListedAttachment => attachment.filename !== undefined)) return undefined;
  return protection === undefined ? { attachments } : { attachments, protection };
}

function sidecarFrom(summary: MessageSummary, size: number, sha256: string): Sidecar {
  return { schemaVersion: SIDECAR_SCHEMA_VERSION, size, sha256, ...summary };
}

/**
 * The only code that knows how one domain's imports lie on disk (SPEC §3).
 * Every mutation of an import is a read-modify-write of `import.json` under
 * that import's lock; files are written to temporaries and renamed, pages
 * before the `import.json` that lists them, so a crash at any instant leaves
 * every import readable.
 */
export class DomainStorage {
  readonly domain: string;
  readonly dir: string;
  private readonly layout: Layout;
  private readonly clock: Clock;
  private readonly time: ZonedTime;
  private readonly locks: KeyedLock;
  private readonly mail: MailTools;
  private readonly logger: Logger;
  /** Imports whose archive call is in flight (the lock is not held meanwhile). */
  private readonly submitting = new Set<string>();
  /** listing lines not kept in memory are read back through `read` (an import found gone leaves the index there) */
  private readonly index = new ImportIndex((id) => this.readListed(id));
  /** import.json read and written, the latest writes kept parsed */
  private readonly files = new ImportFiles();
  /** each user's last filed values per template (docs/api.md, "Last values") */
  readonly lastValues: LastValuesStore;

  constructor(deps: { layout: Layout; domain: string; clock: Clock; time: ZonedTime; locks: KeyedLock; mail: MailTools; logger: Logger }) {
    this.layout = deps.layout;
    this.lastValues = new LastValuesStore(deps.layout, deps.domain);
    this.domain = deps.domain;
    this.dir = deps.layout.domainDir(deps.domain);
    this.clock = deps.clock;
    this.time = deps.time;
    this.locks = deps.locks;
    this.mail = deps.mail;
    this.logger = deps.logger;
  }

  private lockKey(id: string): string {
    return `${this.domain}/${id}`;
  }

  paths(id: string): ImportPaths {
    return new ImportPaths(this.layout.importDir(this.domain, id));
  }

  /** True while a mutation or an archive call of the import is under way. */
  isBusy(id: string): boolean {
    return this.locks.isLocked(this.lockKey(id)) || this.submitting.has(id);
  }

  async create(owner: Owner, source: Source): Promise<Import> {
    const now = this.clock.now();
    const dateFolder = this.time.dateFolder(now);
    const dateDir = this.layout.dateDir(this.domain, dateFolder);
    let dateFolderChecked = false;
    for (let attempt = 0; attempt < 16; attempt += 1) {
      const importFolder = newImportFolderName(this.time.hourMinute(now));
      const id = joinImportId(dateFolder, importFolder);
      const paths = this.paths(id);
      try {
        await mkdir(paths.dir);
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') continue;
        // the day's first import (or its folder was removed): the date folder is made first
        if (errnoCode(error) !== 'ENOENT' || dateFolderChecked) throw error;
        dateFolderChecked = true;
        // a new date folder must be durable in the domain folder before an import inside it is acknowledged
        if (await mkdir(dateDir, { recursive: true })) await fsyncDir(this.dir);
        continue;
      }
      const at = this.time.iso(now);
      const created: Import = {
        schemaVersion: IMPORT_SCHEMA_VERSION,
        id,
        domain: this.domain,
        status: 'DRAFT',
        createdAt: at,
        updatedAt: at,
        ...owner,
        source,
        documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }],
        attempts: [],
      };
      let stored: Import;
      try {
        // the import folder is new: one mkdir each (a recursive mkdir of the pages would first try them, fail and climb: three calls)
        await mkdir(paths.docDir(1));
        await mkdir(paths.pagesDir(1));
        await fsyncDir(paths.docDir(1));
        crashPoint('create.before-import-json');
        stored = await this.files.write(paths.importFile, created, (value) => this.index.record(value));
      } catch (error) {
        // a creation refused half-way (a full disk, no descriptor left) leaves no folder behind; what a crash leaves is the sweep's
        await removeUnfinishedImport(paths);
        this.index.forget(created.id);
        throw error;
      }
      await fsyncDir(dateDir);
      return stored;
    }
    throw new AppError('UNAVAILABLE', 'could not find a free import id within this minute');
  }

  /** The import's import.json; one found gone (removed by hand) leaves the listing index too. */
  read(id: string): Promise<Import> {
    return this.readChecked(id, false);
  }

  /**
   * The import for a check made before a request's body is read (existence,
   * ownership, state), which `update` makes again under the lock on the file
   * itself: an import this server wrote last is taken from memory without
   * looking at the file. A file changed by hand since is found by that second
   * check, after the body instead of before it.
   */
  precheck(id: string): Promise<Import> {
    return this.readChecked(id, true);
  }

  private async readChecked(id: string, unchecked: boolean): Promise<Import> {
    try {
      return await this.files.read(this.paths(id).importFile, id, this.domain, unchecked);
    } catch (error) {
      if (isAppError(error) && error.code === 'IMPORT_NOT_FOUND') this.index.forget(id);
      throw error;
    }
  }

  /**
   * Read-modify-write of `import.json` under the lock. `change` gets a copy it
   * may edit; `updatedAt` is set here.
   */
  async update(id: string, guard: Guard, change: (draft: Import) => void | Promise<void>): Promise<Import> {
    return this.locks.run(this.lockKey(id), () => this.updateLocked(id, guard, change));
  }

  /** The body of `update`, for callers that already hold the import's lock. */
  private async updateLocked(id: string, guard: Guard, change: (draft: Import) => void | Promise<void>): Promise<Import> {
    const current = await this.read(id);
    guard(current);
    const importFile = this.paths(id).importFile;
    const draft = this.files.draftOf(importFile, current);
    await change(draft);
    draft.updatedAt = this.time.iso(this.clock.now());
    // listed as soon as a read of the file sees it: a status read and a listing never disagree
    return this.files.write(importFile, draft, (stored) => this.index.record(stored));
  }

  /**
   * Streams a page body for document `n` into a new temporary beside its
   * pages, hashing it on the way and flushing it at the end; the body is never
   * held in memory, and no lock is taken (a large body must not hold up other
   * changes). On any failure, of the body or of the disk, the temporary is
   * removed before this rejects. An import or document deleted meanwhile
   * rejects with the file system's ENOENT.
   *
   * An e-mail message is parsed while it arrives when a mail worker is free
   * for it (ADR 0020): the worker reads the temporary behind the writer, in
   * the parse line of `owner` (the uploader's owner key); `summarizeUpload`
   * then waits for that parse instead of starting one.
   */
  async stagePage(id: string, n: number, body: NodeJS.ReadableStream, meta: PageMeta, owner = ''): Promise<StagedPage> {
    const file = this.paths(id).doc(n).uploadTmpFile();
    const follow = this.mail.followMessage;
    const along = follow && isMessageType(meta.contentType) ? new ParseAlong(() => follow(file, owner)) : undefined;
    let digest: FileDigest;
    try {
      digest = await writeNewFileDurable(file, along ? [body, along] : [body]);
    } catch (error) {
      along?.fail('the upload broke off');
      throw error;
    }
    const staged: StagedPage = { filename: meta.filename, contentType: meta.contentType, ...digest, discard: () => removeTemporary(file) };
    stagedFiles.set(staged, file);
    const summary = along?.complete(digest.size);
    if (summary) summariesAlong.set(staged, summary);
    return staged;
  }

  /**
   * Reads a staged EML before the lock is taken (parsing a large message
   * must not block other mutations), in the parse line of `owner` (the
   * uploader's owner key); a refused message is discarded here.
   */
  async summarizeUpload(upload: StagedPage, owner: string): Promise<Sidecar | undefined> {
    if (!isMessageType(upload.contentType)) return undefined;
    try {
      const summary = (await summariesAlong.get(upload)) ?? (await this.mail.summarizeMessage(stagedFile(upload), owner));
      return sidecarFrom(summary, upload.size, upload.sha256);
    } catch (error) {
      await upload.discard();
      throw error;
    }
  }

  /** Renames a staged page into place as the next page and lists it; the temporary is gone afterwards whatever happens. */
  async addPage(id: string, n: number, upload: StagedPage, sidecar: Sidecar | undefined, guard: Guard): Promise<{ imported: Import; page: Page }> {
    let page: Page | undefined;
    /** files this call put in place, until import.json lists them */
    const placed: string[] = [];
    /** once renamed into place, the temporary is gone: nothing to discard */
    let renamed = false;
    try {
      const imported = await this.update(id, guard, async (draft) => {
        const doc = findDocument(draft, n);
        const m = doc.pages.reduce((max, p) => Math.max(max, p.m), 0) + 1;
        const paths = this.paths(id);
        page = { m, filename: upload.filename, size: upload.size, contentType: upload.contentType, sha256: upload.sha256 };
        // the sidecar goes first so that a page-M.bin never exists without it; a
        // crash before the import.json below leaves both unlisted, and the sweep removes them
        if (sidecar) {
          placed.push(paths.sidecarFile(n, m));
          await writeFileAtomic(paths.sidecarFile(n, m), serializeSidecar(sidecar));
          page.sidecar = path.basename(paths.sidecarFile(n, m));
        }
        crashPoint('page.before-rename');
        placed.push(paths.pageFile(n, m));
        await rename(stagedFile(upload), paths.pageFile(n, m));
        renamed = true;
        await fsyncDir(paths.pagesDir(n));
        crashPoint('page.before-import-json');
        doc.pages.push(page);
      });
      return { imported, page: page as Page };
    } catch (error) {
      if (placed.length > 0 && page) await this.removeUnlistedPage(id, n, page.m, placed);
      throw error;
    } finally {
      if (!renamed) await upload.discard();
    }
  }

  /**
   * After an `addPage` whose import.json could not be written (a full disk, no
   * descriptor left): the files it put in place are removed unless the
   * import lists page `m` after all (the write failed after its rename). Entry
   * by entry, needing no descriptor; whatever stays is noted (`noteLeftover`)
   * and is the sweep's after the next stop.
   */
  private async removeUnlistedPage(id: string, n: number, m: number, placed: readonly string[]): Promise<void> {
    await this.locks
      .run(this.lockKey(id), async () => {
        const listed = findDocument(await this.read(id), n).pages.some((p) => p.m === m);
        if (!listed) for (const file of placed) await unlink(file).catch((error: unknown) => errnoCode(error) === 'ENOENT' || noteLeftover());
      })
      .catch(noteLeftover);
  }

  /** The sidecar of an EML page, rebuilt from the `.bin` when missing, unreadable or stale. */
  async sidecar(id: string, n: number, m: number, guard: Guard): Promise<Sidecar> {
    const paths = this.paths(id);
    const current = await this.read(id);
    guard(current);
    const page = findPage(current, n, m);
    if (!isMessageType(page.contentType)) throw new AppError('NOT_A_MESSAGE', `page ${m} of document ${n} is ${page.contentType}, not an e-mail message`);
    const cached = await readSidecarFile(paths.sidecarFile(n, m));
    if (sidecarFits(cached, page)) return cached;
    return this.locks.run(this.lockKey(id), async () => this.sidecarLocked(id, n, findPage(await this.read(id), n, m), current.userId));
  }

  /** The sidecar of EML page `page` of document `n`, rebuilt when it does not fit the page; the caller holds the import's lock. */
  private async sidecarLocked(id: string, n: number, page: Page, owner: string): Promise<Sidecar> {
    const paths = this.paths(id);
    const cached = await readSidecarFile(paths.sidecarFile(n, page.m));
    if (sidecarFits(cached, page)) return cached;
    const rebuilt = sidecarFrom(await this.mail.summarizeMessage(paths.pageFile(n, page.m), owner), page.size, page.sha256);
    await writeFileAtomic(paths.sidecarFile(n, page.m), serializeSidecar(rebuilt));
    this.logger.info({ domain: this.domain, importId: id, n, m: page.m }, 'sidecar rebuilt');
    return rebuilt;
  }

  /**
   * Moves chosen attachments of an EML page into a new sibling document
   * (SPEC §3.5). Everything is prepared in temporaries; a journal written
   * atomically is the commit point, and the renames it lists are replayed at
   * start if a crash cuts them short. Before the journal, a crash leaves only
   * temporaries, which the start-up sweep removes.
   *
   * A signed or encrypted message is kept whole (ADR 0011): the parts are
   * copies, and the EML, its size, hash and sidecar stay as they are. An
   * attached message that cannot be read as e-mail becomes a plain page.
   */
  async extract(id: string, n: number, m: number, partIds: string[] | undefined, guard: Guard): Promise<{ imported: Import; document: Document }> {
    return this.locks.run(this.lockKey(id), async () => {
      const paths = this.paths(id);
      const current = await this.read(id);
      guard(current);
      const page = findPage(current, n, m);
      if (!isMessageType(page.contentType)) throw new AppError('NOT_A_MESSAGE', `page ${m} of document ${n} is ${page.contentType}, not an e-mail message`);
      const k = current.documents.reduce((max, d) => Math.max(max, d.n), 0) + 1;

      const staging = paths.stagingDoc(k);
      const stagingDir = staging.dir;
      const stagingPages = staging.pagesDir;
      const rewrittenTmp = tmpSiblingPath(paths.pageFile(n, m));
      const sidecarTmp = tmpSiblingPath(paths.sidecarFile(n, m));
      const importTmp = paths.importTmpFile();
      let committed = false;
      try {
        // the sidecar lists the parts (bound to these bytes by size and hash): the message is read once, by the cut
        const listing = listingOf(await this.sidecarLocked(id, n, page, current.userId));
        await mkdir(stagingPages, { recursive: true });
        const result = await this.mail.extractParts({
          source: paths.pageFile(n, m),
          ...(listing ? { listing } : {}),
          ...(partIds ? { partIds } : {}),
          rewrittenPath: rewrittenTmp,
          partPath: (index) => staging.pageFile(index + 1),
          owner: current.userId,
        });
        const newPages: Page[] = [];
        for (const [index, part] of result.parts.entries()) {
          const newPage: Page = {
            m: index + 1,
            filename: part.filename,
            size: part.size,
            contentType: part.contentType,
            sha256: part.sha256,
            partId: part.partId,
          };
          const summary = part.isMessage ? await this.embeddedSummary(part.path, part.partId, current.userId) : undefined;
          if (summary !== undefined) {
            const sidecarFile = staging.sidecarFile(index + 1);
            await writeFileAtomic(sidecarFile, serializeSidecar(sidecarFrom(summary, part.size, part.sha256)));
            newPage.sidecar = path.basename(sidecarFile);
          } else if (isMessageType(newPage.contentType)) {
            newPage.contentType = UNKNOWN_MEDIA_TYPE;
          }
          newPages.push(newPage);
        }
        const { rewritten } = result;
        if (rewritten !== undefined) {
          const rewrittenSummary = await this.mail.summarizeMessage(rewrittenTmp, current.userId);
          await writeFileDurable(sidecarTmp, serializeSidecar(sidecarFrom(rewrittenSummary, rewritten.size, rewritten.sha256)));
        }

        const next = structuredClone(current);
        if (rewritten !== undefined) {
          const source = findPage(next, n, m);
          source.size = rewritten.size;
          source.sha256 = rewritten.sha256;
          source.sidecar = path.basename(paths.sidecarFile(n, m));
        }
        const document: Document = {
          n: k,
          templateId: null,
          attributes: {},
          origin: { document: n, page: m, partIds: result.parts.map((p) => p.partId) },
          pages: newPages,
        };
        next.documents.push(document);
        next.updatedAt = this.time.iso(this.clock.now());
        await writeFileDurable(importTmp, serializeImport(next));
        // every temporary the journal names must be durable before the journal is
        await Promise.all([stagingPages, stagingDir, paths.pagesDir(n), paths.dir].map(fsyncDir));

        const renames: Array<[string, string]> = [
          [stagingDir, paths.docDir(k)],
          ...(rewritten === undefined
            ? []
            : ([
                [rewrittenTmp, paths.pageFile(n, m)],
                [sidecarTmp, paths.sidecarFile(n, m)],
              ] as Array<[string, string]>)),
          [importTmp, paths.importFile],
        ];
        // an unlisted doc-K can be left by a crash inside deleteDocument; it would block the rename
        await rm(paths.docDir(k), { recursive: true, force: true });
        crashPoint('extract.before-journal');
        await writeJournal(paths, renames);
        committed = true;
        await applyJournal(paths);
        this.files.forget(paths.importFile);
        this.index.record(next);
        return { imported: next, document };
      } catch (error) {
        // Before the journal nothing is committed: the temporaries go. After it,
        // they are what the journal replays at the next start (some renames may
        // be done already), so removing them would leave half an extraction.
        if (!committed) await Promise.all([stagingDir, rewrittenTmp, sidecarTmp, importTmp].map(removeTemporary));
        throw error;
      }
    });
  }

  /**
   * The summary of an attached message taken out as a page, or undefined when
   * the full read refuses it (the listing only looked at its start): it then
   * becomes a plain page, so that one odd part never fails the extraction.
   */
  private async embeddedSummary(file: string, partId: string, owner: string): Promise<MessageSummary | undefined> {
    try {
      return await this.mail.summarizeMessage(file, owner);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'MESSAGE_UNPARSEABLE') throw error;
      this.logger.info({ domain: this.domain, partId, reason: error.message }, 'an attached message cannot be read as e-mail; kept as a plain page');
      return undefined;
    }
  }

  /**
   * Removes a sibling document: unlisted first, then deleted (a crash in
   * between leaves an unlisted folder the sweep removes). The folder is removed
   * under the lock: once unlisted, its number is free, and an extraction
   * waiting for the lock would otherwise create the new `doc-N` just before
   * this removal deletes it.
   */
  async deleteDocument(id: string, n: number, guard: Guard): Promise<Import> {
    return this.locks.run(this.lockKey(id), async () => {
      const updated = await this.updateLocked(id, guard, (draft) => {
        // after the guard: a missing, foreign or unchangeable import answers as such first
        if (n === 1) throw new AppError('VALIDATION_FAILED', 'document 1 is the original message and cannot be removed');
        findDocument(draft, n);
        draft.documents = draft.documents.filter((d) => d.n !== n);
      });
      crashPoint('delete-document.before-rm');
      await rm(this.paths(id).docDir(n), { recursive: true, force: true });
      return updated;
    });
  }

  /** Deletes an import: renamed away atomically (its id answers 404 at once), then removed. */
  async deleteImport(id: string, guard: Guard): Promise<Import> {
    return this.locks.run(this.lockKey(id), async () => {
      const current = await this.read(id);
      guard(current);
      await this.removeFolder(id);
      return current;
    });
  }

  /**
   * Renames the import folder to a temporary name (its id answers 404 at
   * once; a crash leaves only a `.tmp` folder the sweep removes), then removes it.
   */
  private async removeFolder(id: string): Promise<void> {
    const paths = this.paths(id);
    const dir = paths.dir;
    const doomed = paths.removalDir();
    try {
      await rename(dir, doomed);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
      this.index.forget(id);
      return;
    }
    this.index.forget(id);
    this.files.forget(paths.importFile);
    await fsyncDir(path.dirname(dir));
    crashPoint('delete-import.before-rm');
    await rm(doomed, { recursive: true, force: true });
  }

  /** Removes an import folder unconditionally (retention); false when it is busy and was left alone. */
  async purge(id: string): Promise<boolean> {
    if (this.isBusy(id)) return false;
    return this.locks.run(this.lockKey(id), async () => {
      await this.removeFolder(id);
      return true;
    });
  }

  /** Import ids of one date folder. */
  async idsOfDate(dateFolder: string): Promise<string[]> {
    return (await readdirOrEmpty(this.layout.dateDir(this.domain, dateFolder)))
      .filter((name) => IMPORT_FOLDER_PATTERN.test(name))
      .map((folder) => joinImportId(dateFolder, folder));
  }

  /** Removes a date folder once nothing but leftovers of deletions remain in it; false when imports remain. */
  async removeDateFolderIfEmpty(dateFolder: string): Promise<boolean> {
    const dir = this.layout.dateDir(this.domain, dateFolder);
    if ((await this.idsOfDate(dateFolder)).length > 0) return false;
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  /**
   * Runs the archive call of an import already persisted as PENDING, without
   * holding the lock (mutations answer 409 meanwhile, and retention skips the
   * import), then records the outcome under the lock.
   */
  async runSubmission<T>(
    id: string,
    call: () => Promise<T>,
    finish: (draft: Import, outcome: { ok: true; value: T } | { ok: false; error: unknown }) => void,
  ): Promise<Import> {
    this.submitting.add(id);
    try {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await call() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      return await this.update(
        id,
        () => {},
        (draft) => finish(draft, outcome),
      );
    } finally {
      this.submitting.delete(id);
    }
  }

  /**
   * A page of the owner's imports (of one message, when given), newest first,
   * from the in-memory index: the page is a slice of a sorted list, and a line
   * the index does not keep ready is one import.json read, so a listing costs
   * the same at any store size. An import removed by hand since the index was
   * built drops out the first time it is read (`read` answers
   * IMPORT_NOT_FOUND); imports put back by hand appear after a restart.
   * Each line comes as its JSON text (`ImportSummary`), made once while the
   * index keeps the line in memory.
   */
  async listOwned(userId: string, query: ListingQuery): Promise<{ items: string[]; total: number }> {
    await this.warmUp();
    return this.index.owned(userId, query);
  }

  /** An import the index lists, for a listing line it does not keep in memory; undefined when gone or unreadable (fsck's business). */
  private async readListed(id: string): Promise<Import | undefined> {
    try {
      return await this.read(id);
    } catch (error) {
      if (isAppError(error) && (error.code === 'IMPORT_NOT_FOUND' || error.code === 'IMPORT_UNREADABLE')) return undefined;
      throw error;
    }
  }

  /**
   * What `userId` holds in this domain and what the domain holds in all:
   * imports, and the bytes of their listed pages (sidecars and import.json
   * files, a few KiB an import, are not counted). From the in-memory index:
   * complete once `warmUp()` has resolved, and read without waiting so a
   * caller can check and reserve in one step.
   */
  usage(userId: string): { user: Usage; domain: Usage } {
    return this.index.usage(userId);
  }

  /** Imports of each status in the listing index, for the metrics; no file is read. */
  statusCounts(): Map<ImportStatus, number> {
    return this.index.countByStatus();
  }

  /** What the filings of this domain say about a message (storage/filing-memory.ts), once the index is built. */
  async filingTally(query: FilingQuery): Promise<KindTally[]> {
    await this.warmUp();
    return this.index.filings.tally(query);
  }

  /**
   * The start-up pass of the domain (with the data-root lock held, before any
   * request uses it): its folder is created, every import folder is swept
   * (storage/recovery.ts) and the listing index is built from the same reads,
   * so the import.json files are read once, several at a time. `options`:
   * the sweep's (`signal` stops it, `listPages: false` after a clean stop).
   * Rejects when the pass fails or is stopped; the index is then left unbuilt.
   */
  async recover(report: SweepReport, options: Pick<SweepOptions, 'signal' | 'listPages'> = {}): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let swept = false;
    await this.index.ready(() => {
      swept = true;
      return sweptImports(this.layout.root, this.dir, report, options);
    });
    // the index is built once: built before the sweep, it would answer without the sweep ever running
    if (!swept) throw new Error(`the listing index of "${this.domain}" was built before its recovery sweep`);
  }

  /** Builds the listing index from the import.json files (after `recover`, it is built already). */
  warmUp(): Promise<void> {
    return this.index.ready(() => this.readAll());
  }

  /** Every readable import of the domain; unreadable ones are fsck's business. */
  private async *readAll(): AsyncIterable<Import> {
    for (const id of await this.ids()) {
      const current = await this.readListed(id);
      if (current) yield current;
    }
  }

  /** Every import id of the domain, newest first (date folders, then HHmm-xxxxxxxx). */
  async ids(): Promise<string[]> {
    const ids: string[] = [];
    for (const dateFolder of (await readdirOrEmpty(this.dir))
      .filter((name) => DATE_FOLDER_PATTERN.test(name))
      .sort()
      .reverse()) {
      const folders = (await readdirOrEmpty(path.join(this.dir, dateFolder))).filter((name) => IMPORT_FOLDER_PATTERN.test(name));
      for (const folder of folders.sort().reverse()) ids.push(joinImportId(dateFolder, folder));
    }
    return ids;
  }

  /** The date folders of the domain, oldest first. */
  async dateFolders(): Promise<string[]> {
    return (await readdirOrEmpty(this.dir)).filter((name) => DATE_FOLDER_PATTERN.test(name)).sort();
  }

  /**
   * A listed page's bytes as a lazily read, file-backed Blob: how the archive
   * reads a page without a path leaving storage. Rejects with ENOENT when the
   * page file is missing.
   */
  pageBytes(id: string, n: number, m: number, options?: { type?: string }): Promise<Blob> {
    return openFileAsBlob(this.paths(id).pageFile(n, m), options);
  }

  /**
   * A listed page and a stream of its bytes. The listing is read and the file
   * opened under the import's lock, so they belong together: an extract
   * renames a rewritten EML over the page, and a download that read the
   * listing before that and opened the file after would announce the old size
   * and hash with the new, shorter bytes. Once open, the descriptor keeps the
   * bytes it opened whatever is renamed over the path; `size` is the opened
   * file's own (fstat), so the length sent always matches the body. A page
   * listed but gone from disk is reported, not served half.
   */
  async openPage(id: string, n: number, m: number, guard: Guard): Promise<{ page: Page; size: number; body: ReadStream }> {
    return this.locks.run(this.lockKey(id), async () => {
      const current = await this.read(id);
      guard(current);
      const page = findPage(current, n, m);
      let handle: FileHandle;
      try {
        handle = await open(this.paths(id).pageFile(n, m), 'r');
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error;
        this.logger.error({ domain: this.domain, importId: id, n, m }, 'a listed page is missing on disk; run toa-server fsck');
        throw new AppError('PAGE_NOT_FOUND', `page ${m} of document ${n} is listed but missing on disk; the administrator has been told`);
      }
      try {
        const { size } = await handle.stat();
        if (size !== page.size) {
          this.logger.error(
            { domain: this.domain, importId: id, n, m, listed: page.size, size },
            'a page differs in size from its listing; run toa-server fsck',
          );
        }
        return { page, size, body: handle.createReadStream() };
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
  }
}

/**
 * Removes what `create` made before it failed, entry by entry: `unlink` and
 * `rmdir` need no descriptor, where a recursive `rm` (which reads the
 * folders) fails just when creation failed for want of one (EMFILE). Anything
 * it cannot remove stays for the start-up sweep or `fsck --repair`.
 */
async function removeUnfinishedImport(paths: ImportPaths): Promise<void> {
  try {
    for (const file of [`${paths.importFile}.tmp`, paths.importFile]) {
      await unlink(file).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
    }
    for (const dir of [paths.pagesDir(1), paths.docDir(1), paths.dir]) {
      await rmdir(dir).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
    }
  } catch {
    await rm(paths.dir, { recursive: true, force: true }).catch(() => {});
  }
}
