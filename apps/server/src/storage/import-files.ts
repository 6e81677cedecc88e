import type { BigIntStats } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { IMPORT_SCHEMA_VERSION, type Import, importSchema, type Sidecar, sidecarSchema } from '@toa/api/imports';
import { AppError, errnoCode, isOutOfDescriptors } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-fs.js';
import { readText, statOrNone } from '../fs/pool-read.js';

/**
 * `import.json` is read and written only here. What comes from disk is
 * validated in full (zod); what the server writes was built from validated
 * input by its own code and is only serialised.
 */

/**
 * What an import folder's `import.json` holds, as the server, `stats` and
 * `fsck` all see it: one verdict, so that whatever the API refuses to read is
 * what `fsck` reports. `misplaced`: valid, but it names another import (a
 * folder restored or moved into the wrong date or domain folder).
 */
export type ImportFileState =
  | { state: 'ok'; value: Import }
  | { state: 'missing' }
  | { state: 'unreadable'; reason: string }
  | { state: 'misplaced'; value: Import };

export async function inspectImportFile(file: string, id: string, domain: string): Promise<ImportFileState> {
  let text: string;
  try {
    text = await readText(file);
  } catch (error) {
    return unreadState(error, errnoCode(error) === 'ENOENT' && (await isLink(file)));
  }
  return importFileVerdict(text, id, domain);
}

/**
 * The verdict on an import.json that could not be read (`inspectImportFile`'s):
 * `missing` for nothing there, `unreadable` for the rest. `dangling`: the
 * path is a link to nothing. Throws `error` itself when no descriptor was
 * left, which says nothing about the file: the request fails for now (503),
 * the import is not unreadable.
 */
export function unreadState(error: unknown, dangling: boolean): ImportFileState {
  const code = errnoCode(error);
  if (code === 'ENOENT' && dangling) return { state: 'unreadable', reason: 'import.json cannot be read (ENOENT: a link to nothing)' };
  if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing' };
  if (isOutOfDescriptors(error)) throw error;
  return { state: 'unreadable', reason: `import.json cannot be read (${code ?? (error as Error).message})` };
}

/** The verdict on the text of import `id`'s import.json (`inspectImportFile`'s): parsed and validated in full. */
export function importFileVerdict(text: string, id: string, domain: string): ImportFileState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { state: 'unreadable', reason: 'import.json is not JSON' };
  }
  const result = importSchema.safeParse(parsed);
  if (!result.success) {
    const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof version === 'number' && version > IMPORT_SCHEMA_VERSION) {
      return {
        state: 'unreadable',
        reason: `import.json was written by a newer TOA server (schemaVersion ${version}; this one reads ${IMPORT_SCHEMA_VERSION})`,
      };
    }
    const [issue] = result.error.issues;
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return { state: 'unreadable', reason: `import.json does not match the schema (${where}: ${issue?.message ?? 'invalid'})` };
  }
  if (result.data.id !== id || result.data.domain !== domain) return { state: 'misplaced', value: result.data };
  return { state: 'ok', value: result.data };
}

async function isLink(file: string): Promise<boolean> {
  try {
    return (await lstat(file)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The import, or the AppError the API answers with: 404 when missing, 409 IMPORT_UNREADABLE otherwise. */
export async function readImportFile(file: string, id: string, domain: string): Promise<Import> {
  const found = await inspectImportFile(file, id, domain);
  switch (found.state) {
    case 'ok':
      return found.value;
    case 'missing':
      throw new AppError('IMPORT_NOT_FOUND', `import ${id} does not exist`);
    case 'unreadable':
      throw new AppError('IMPORT_UNREADABLE', `import ${id}: ${found.reason}; it is kept read-only until an administrator runs toa-server fsck`);
    case 'misplaced':
      throw new AppError(
        'IMPORT_UNREADABLE',
        `the folder of import ${id} holds import ${found.value.domain}/${found.value.id}; it was moved by hand (toa-server fsck --repair puts it back)`,
      );
  }
}

/** Written in the current schema version: an earlier one's content is valid in it (fields were only added). */
export function serializeImport(value: Import): string {
  return `${JSON.stringify({ ...value, schemaVersion: IMPORT_SCHEMA_VERSION }, null, 2)}\n`;
}

/** `import.json.tmp` is the fixed temporary name: writers hold the import lock. */
function writeImportFile(file: string, text: string, visible: () => void): Promise<BigIntStats> {
  return writeFileAtomic(file, text, `${file}.tmp`, { beforeRename: 'import-json.before-rename', visible });
}

/** Which file a cached import came from: a rename brings another inode, an edit in place another mtime or size. */
interface FileIdentity {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

function sameFile(stats: BigIntStats, known: FileIdentity): boolean {
  return stats.ino === known.ino && stats.size === known.size && stats.mtimeNs === known.mtimeNs;
}

/** Freezes a parsed import all the way down: a cached value handed to callers must never change under the cache. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The import.json files of one domain, with the imports this server wrote
 * last kept parsed: a read of one of them costs a `stat` instead of a read,
 * a JSON parse and a schema validation. An entry is used only while the file
 * is the very one written (same inode, size and mtime), so a file replaced,
 * edited or removed by hand is read and validated afresh. Values handed out
 * are frozen; a writer changes a copy (`draftOf`).
 */
export class ImportFiles {
  /** with the text written: a writer's copy is parsed from it (JSON.parse costs half a structuredClone of the value) */
  readonly #written = new Map<string, FileIdentity & { value: Import; text: string }>();
  readonly #capacity: number;

  /** `capacity`: imports kept parsed, the most recently written. */
  constructor(capacity = 256) {
    this.#capacity = capacity;
  }

  /**
   * The import, or the AppError the API answers with (see `readImportFile`).
   * `unchecked`: an import this server wrote last is handed out without the
   * `stat`, for a check that is made again under the import's lock (see
   * `DomainStorage.precheck`).
   */
  async read(file: string, id: string, domain: string, unchecked = false): Promise<Import> {
    const known = this.#written.get(file);
    if (known && unchecked) return known.value;
    if (known) {
      const stats = await statOrNone(file);
      if (stats && sameFile(stats, known)) return known.value;
      this.#written.delete(file);
    }
    return readImportFile(file, id, domain);
  }

  /**
   * Replaces import.json atomically (see `writeImportFile`); `visible` runs
   * as soon as readers see the new content. Resolves with the import as
   * stored (frozen, in the current schema version).
   */
  async write(file: string, value: Import, visible?: (stored: Import) => void): Promise<Import> {
    const stored = deepFreeze({ ...value, schemaVersion: IMPORT_SCHEMA_VERSION } as Import);
    const text = serializeImport(stored);
    this.#written.delete(file);
    // the identity of the temporary as written is the file's at its name: under the import's lock nothing else writes it
    const stats = await writeImportFile(file, text, () => visible?.(stored));
    this.#written.set(file, { ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs, value: stored, text });
    if (this.#written.size > this.#capacity) this.#written.delete(this.#written.keys().next().value as string);
    return stored;
  }

  /**
   * A copy of `current` (an import `read` of `file` handed out) that a writer
   * may change: parsed from the text written when it is the value this cache
   * holds, else a `structuredClone`.
   */
  draftOf(file: string, current: Import): Import {
    const known = this.#written.get(file);
    return known?.value === current ? (JSON.parse(known.text) as Import) : structuredClone(current);
  }

  /** After the import folder is gone (deleted, purged). */
  forget(file: string): void {
    this.#written.delete(file);
  }
}

/** A sidecar that is missing, unreadable or of another schema reads as `undefined`: it is only a cache. */
export async function readSidecarFile(file: string): Promise<Sidecar | undefined> {
  try {
    const result = sidecarSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

export function serializeSidecar(value: Sidecar): string {
  return `${JSON.stringify(sidecarSchema.parse(value), null, 2)}\n`;
}
