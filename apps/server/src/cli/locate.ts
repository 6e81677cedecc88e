import { splitImportId } from '@toa/api/ids';
import { composeStorage } from '../composition.js';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { pathExists } from '../fs/atomic-fs.js';
import type { Output } from './output.js';

/** Prints the folder of an import id: the id maps to the path, the domain is looked up. */
export async function locate(config: Config, id: string, domain: string | undefined, out: Output): Promise<void> {
  if (!splitImportId(id)) throw new AppError('VALIDATION_FAILED', `"${id}" is not an import id (yyyy-MM-dd_HHmm-xxxxxxxx)`);
  const { layout } = composeStorage(config);
  const candidates = domain ? [domain] : config.domains.map((d) => d.code);
  const found: Array<{ domain: string; path: string }> = [];
  for (const code of candidates) {
    const dir = layout.importDir(code, id);
    if (await pathExists(dir)) found.push({ domain: code, path: dir });
  }
  if (found.length === 0) throw new AppError('IMPORT_NOT_FOUND', `no folder for ${id} in ${candidates.join(', ')}`);
  out.result({ imports: found }, () => found.map((f) => f.path));
}
