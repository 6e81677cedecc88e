import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { DATE_FOLDER_PATTERN, DOMAIN_CODE_PATTERN, splitImportId } from '@toa/api/ids';
import { AppError } from '../errors.js';
import { TMP_SUFFIX, tmpSiblingPath } from '../fs/atomic-fs.js';

/**
 * The only place that turns names into paths under the data root. Every
 * segment is validated before it is joined, and the result is checked to stay
 * under the root, so no id, domain or number from a request can escape it.
 */

export const LAYOUT_VERSION = 1;
export const LAYOUT_VERSION_FILE = '.toa-layout-version';
export const PROCESS_LOCK_FILE = '.toa-server.lock';
/** Written by a server that stopped cleanly, taken away by the next holder of the lock (ADR 0025). */
export const CLEAN_STOP_FILE = '.toa-clean-stop';
/** A domain being moved off this node (docs/scaling.md): `.toa-drain-<code>` asks, `.toa-drained-<code>` answers. Beside, not inside, the domain folder, so a copy of the folder never carries them. */
export const DRAIN_REQUEST_PREFIX = '.toa-drain-';
export const DRAIN_DONE_PREFIX = '.toa-drained-';
/** The cached copy of a URL domain's catalogue, in the domain folder (SPEC §3.1). */
export const CATALOGUE_CACHE_FILE = 'cmserver2.xml';
export const IMPORT_FILE = 'import.json';
/** Written before the renames of an extraction; its presence at start means "roll forward". */
export const EXTRACT_JOURNAL_FILE = 'extract-journal.json';

/** The folder, in a domain folder, of each user's last filed values per template (one `<owner key>.json` a user). */
export const LAST_VALUES_FOLDER = '.toa-last-values';

/** The folder of a document's pages, inside its `doc-N` folder. */
export const PAGES_FOLDER = 'pages';

export const IMPORT_FOLDER_PATTERN = /^\d{4}-[0-9a-f]{8}$/;
export const DOC_FOLDER_PATTERN = /^doc-([1-9]\d*)$/;
export const PAGE_FILE_PATTERN = /^page-([1-9]\d*)\.bin$/;
export const SIDECAR_FILE_PATTERN = /^page-([1-9]\d*)\.meta\.json$/;

/** A new import folder's name: the hour and minute of its creation and 8 random hex digits (SPEC §3). */
export function newImportFolderName(hourMinute: string): string {
  return `${hourMinute}-${randomBytes(4).toString('hex')}`;
}
export function docFolderName(n: number): string {
  return `doc-${n}`;
}
export function pageFileName(m: number): string {
  return `page-${m}.bin`;
}
export function sidecarFileName(m: number): string {
  return `page-${m}.meta.json`;
}

/**
 * `name` in the folder `dir`, both already validated (an absolute folder; a
 * name with no separator that is not `.` or `..`): what `path.join` gives
 * for them, without its normalising pass, which every request took several
 * times.
 */
function under(dir: string, name: string): string {
  return `${dir}${path.sep}${name}`;
}

/** Domain folders worked out so far; more than this many codes and the memory starts afresh. */
const REMEMBERED_DOMAINS = 1024;

function assertOrdinal(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new AppError('VALIDATION_FAILED', `${what} must be a positive integer`);
}

export class Layout {
  readonly root: string;
  readonly #domainDirs = new Map<string, string>();

  constructor(dataRoot: string) {
    this.root = path.resolve(dataRoot);
  }

  private inside(...segments: string[]): string {
    const full = path.resolve(this.root, ...segments);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new AppError('VALIDATION_FAILED', 'path escapes the data root');
    }
    return full;
  }

  domainDir(domain: string): string {
    let dir = this.#domainDirs.get(domain);
    if (dir === undefined) {
      if (!DOMAIN_CODE_PATTERN.test(domain)) throw new AppError('DOMAIN_NOT_FOUND', `"${domain}" is not a domain code`);
      dir = this.inside(domain);
      if (this.#domainDirs.size >= REMEMBERED_DOMAINS) this.#domainDirs.clear();
      this.#domainDirs.set(domain, dir);
    }
    return dir;
  }

  dateDir(domain: string, dateFolder: string): string {
    if (!DATE_FOLDER_PATTERN.test(dateFolder)) throw new AppError('VALIDATION_FAILED', 'not a date folder');
    return under(this.domainDir(domain), dateFolder);
  }

  importDir(domain: string, id: string): string {
    const parts = splitImportId(id);
    if (!parts) throw new AppError('IMPORT_NOT_FOUND', `"${id}" is not an import id`);
    return under(this.dateDir(domain, parts.dateFolder), parts.importFolder);
  }

  layoutVersionFile(): string {
    return this.inside(LAYOUT_VERSION_FILE);
  }

  processLockFile(): string {
    return this.inside(PROCESS_LOCK_FILE);
  }

  cleanStopFile(): string {
    return this.inside(CLEAN_STOP_FILE);
  }

  /** Present while the domain is read-only on this node: written by `toa-server cluster drain`. */
  drainRequestFile(domain: string): string {
    this.domainDir(domain);
    return this.inside(`${DRAIN_REQUEST_PREFIX}${domain}`);
  }

  /** Written by the server once the drained domain has no write in flight. */
  drainDoneFile(domain: string): string {
    this.domainDir(domain);
    return this.inside(`${DRAIN_DONE_PREFIX}${domain}`);
  }

  catalogueCache(domain: string): string {
    return under(this.domainDir(domain), CATALOGUE_CACHE_FILE);
  }

  lastValuesDir(domain: string): string {
    return under(this.domainDir(domain), LAST_VALUES_FOLDER);
  }

  /**
   * A user's last filed values in a domain. A user id may hold any character
   * (a JWT `sub`, an e-mail address), so the file is named by its SHA-256 in
   * hex: always 64 safe characters, never a path (docs/operations.md).
   */
  lastValuesFile(domain: string, userId: string): string {
    return under(this.lastValuesDir(domain), `${ownerKey(userId)}.json`);
  }
}

/** The file-name key of a user id: its UTF-8 SHA-256, lower-case hex. */
export function ownerKey(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

/** Paths inside one document folder, listed as `doc-N` or staged under a temporary name (already validated). */
export class DocPaths {
  constructor(readonly dir: string) {}

  get pagesDir(): string {
    return under(this.dir, PAGES_FOLDER);
  }
  pageFile(m: number): string {
    assertOrdinal(m, 'page number');
    return under(this.pagesDir, pageFileName(m));
  }
  sidecarFile(m: number): string {
    assertOrdinal(m, 'page number');
    return under(this.pagesDir, sidecarFileName(m));
  }
  /** A new temporary beside the pages for an upload's body (`.upload-<hex>.tmp`, removed by the sweep). */
  uploadTmpFile(): string {
    return under(this.pagesDir, `.upload-${randomBytes(8).toString('hex')}${TMP_SUFFIX}`);
  }
}

/** Paths inside one import folder (already validated). */
export class ImportPaths {
  constructor(readonly dir: string) {}

  get importFile(): string {
    return under(this.dir, IMPORT_FILE);
  }
  get journalFile(): string {
    return under(this.dir, EXTRACT_JOURNAL_FILE);
  }
  /** A new temporary sibling of `import.json` (the next state, before it is renamed into place). */
  importTmpFile(): string {
    return tmpSiblingPath(this.importFile);
  }
  /** A new temporary name for the whole import folder, beside it: where a deleted import goes before it is removed. */
  removalDir(): string {
    return tmpSiblingPath(this.dir);
  }
  doc(n: number): DocPaths {
    return new DocPaths(this.docDir(n));
  }
  /** A new temporary folder, beside the documents, where document `n` is prepared before it is renamed into place. */
  stagingDoc(n: number): DocPaths {
    return new DocPaths(tmpSiblingPath(this.docDir(n)));
  }
  docDir(n: number): string {
    assertOrdinal(n, 'document number');
    return under(this.dir, docFolderName(n));
  }
  pagesDir(n: number): string {
    return this.doc(n).pagesDir;
  }
  pageFile(n: number, m: number): string {
    return this.doc(n).pageFile(m);
  }
  sidecarFile(n: number, m: number): string {
    return this.doc(n).sidecarFile(m);
  }
}
