import path from 'node:path';
import { DATE_FOLDER_PATTERN, DOMAIN_CODE_PATTERN, splitImportId } from '@toa/api/ids';
import { AppError } from '../errors.js';

/**
 * The only place that turns names into paths under the data root. Every
 * segment is validated before it is joined, and the result is checked to stay
 * under the root, so no id, domain or number from a request can escape it.
 */

export const LAYOUT_VERSION = 1;
export const LAYOUT_VERSION_FILE = '.toa-layout-version';
export const PROCESS_LOCK_FILE = '.toa-server.lock';
/** The cached copy of a URL domain's catalogue, in the domain folder (SPEC §3.1). */
export const CATALOGUE_CACHE_FILE = 'cmserver2.xml';
export const IMPORT_FILE = 'import.json';
/** Written before the renames of an extraction; its presence at start means "roll forward". */
export const EXTRACT_JOURNAL_FILE = 'extract-journal.json';

export const IMPORT_FOLDER_PATTERN = /^\d{4}-[0-9a-f]{8}$/;
export const DOC_FOLDER_PATTERN = /^doc-([1-9]\d*)$/;
export const PAGE_FILE_PATTERN = /^page-([1-9]\d*)\.bin$/;
export const SIDECAR_FILE_PATTERN = /^page-([1-9]\d*)\.meta\.json$/;

export function docFolderName(n: number): string {
  return `doc-${n}`;
}
export function pageFileName(m: number): string {
  return `page-${m}.bin`;
}
export function sidecarFileName(m: number): string {
  return `page-${m}.meta.json`;
}

function assertOrdinal(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new AppError('VALIDATION_FAILED', `${what} must be a positive integer`);
}

export class Layout {
  readonly root: string;

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
    if (!DOMAIN_CODE_PATTERN.test(domain)) throw new AppError('DOMAIN_NOT_FOUND', `"${domain}" is not a domain code`);
    return this.inside(domain);
  }

  dateDir(domain: string, dateFolder: string): string {
    if (!DATE_FOLDER_PATTERN.test(dateFolder)) throw new AppError('VALIDATION_FAILED', 'not a date folder');
    return path.join(this.domainDir(domain), dateFolder);
  }

  importDir(domain: string, id: string): string {
    const parts = splitImportId(id);
    if (!parts) throw new AppError('IMPORT_NOT_FOUND', `"${id}" is not an import id`);
    return path.join(this.dateDir(domain, parts.dateFolder), parts.importFolder);
  }

  layoutVersionFile(): string {
    return this.inside(LAYOUT_VERSION_FILE);
  }

  processLockFile(): string {
    return this.inside(PROCESS_LOCK_FILE);
  }

  catalogueCache(domain: string): string {
    return path.join(this.domainDir(domain), CATALOGUE_CACHE_FILE);
  }
}

/** Paths inside one import folder (already validated). */
export class ImportPaths {
  constructor(readonly dir: string) {}

  get importFile(): string {
    return path.join(this.dir, IMPORT_FILE);
  }
  get journalFile(): string {
    return path.join(this.dir, EXTRACT_JOURNAL_FILE);
  }
  docDir(n: number): string {
    assertOrdinal(n, 'document number');
    return path.join(this.dir, docFolderName(n));
  }
  pagesDir(n: number): string {
    return path.join(this.docDir(n), 'pages');
  }
  pageFile(n: number, m: number): string {
    assertOrdinal(m, 'page number');
    return path.join(this.pagesDir(n), pageFileName(m));
  }
  sidecarFile(n: number, m: number): string {
    assertOrdinal(m, 'page number');
    return path.join(this.pagesDir(n), sidecarFileName(m));
  }
}
