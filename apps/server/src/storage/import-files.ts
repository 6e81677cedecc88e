import { lstat, readFile } from 'node:fs/promises';
import { IMPORT_SCHEMA_VERSION, type Import, importSchema, type Sidecar, sidecarSchema } from '@toa/api/imports';
import { AppError, errnoCode, isOutOfDescriptors } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-fs.js';

/** `import.json` is read and written only here, validated both ways. */

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
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && (await isLink(file))) return { state: 'unreadable', reason: 'import.json cannot be read (ENOENT: a link to nothing)' };
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing' };
    // no descriptor left says nothing about the file: the request fails for now (503), the import is not unreadable
    if (isOutOfDescriptors(error)) throw error;
    return { state: 'unreadable', reason: `import.json cannot be read (${code ?? (error as Error).message})` };
  }
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
  return `${JSON.stringify(importSchema.parse({ ...value, schemaVersion: IMPORT_SCHEMA_VERSION }), null, 2)}\n`;
}

/** `import.json.tmp` is the fixed temporary name: writers hold the import lock. */
export async function writeImportFile(file: string, value: Import, visible?: () => void): Promise<void> {
  await writeFileAtomic(file, serializeImport(value), `${file}.tmp`, { beforeRename: 'import-json.before-rename', ...(visible ? { visible } : {}) });
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
