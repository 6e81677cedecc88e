import { readFile } from 'node:fs/promises';
import { type Import, importSchema, type Sidecar, sidecarSchema } from '@toa/api/imports';
import { AppError, errnoCode } from '../errors.js';
import { writeFileAtomic } from './atomic-fs.js';

/** `import.json` is read and written only here, validated both ways. */

export async function readImportFile(file: string, id: string): Promise<Import> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') {
      throw new AppError('IMPORT_NOT_FOUND', `import ${id} does not exist`);
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AppError('IMPORT_UNREADABLE', `import ${id} has an import.json that is not JSON; it is kept read-only for fsck`, { cause: error });
  }
  const result = importSchema.safeParse(parsed);
  if (!result.success) {
    throw new AppError('IMPORT_UNREADABLE', `import ${id} has an import.json that does not match the schema; it is kept read-only for fsck`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function serializeImport(value: Import): string {
  return `${JSON.stringify(importSchema.parse(value), null, 2)}\n`;
}

/** `import.json.tmp` is the fixed temporary name: writers hold the import lock. */
export async function writeImportFile(file: string, value: Import): Promise<void> {
  await writeFileAtomic(file, serializeImport(value), `${file}.tmp`, 'import-json.before-rename');
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
