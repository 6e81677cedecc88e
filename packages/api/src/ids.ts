import { z } from './zod.js';
import { CALENDAR_DATE_PATTERN } from './calendar-date.js';

/** `yyyy-MM-dd_HHmm-xxxxxxxx`: the date folder and the import folder, joined by `_`. */
export const IMPORT_ID_PATTERN = /^(\d{4}-\d{2}-\d{2})_(\d{4}-[0-9a-f]{8})$/;

/** Domain codes are folder names and URL segments: short, lowercase, no dots or separators. */
export const DOMAIN_CODE_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,30}[a-z0-9])?$/;

/** A date folder name, `yyyy-MM-dd` (a real date: check with `isCalendarDate`). */
export const DATE_FOLDER_PATTERN = CALENDAR_DATE_PATTERN;

/** MIME part ids as mailparser numbers them: `1`, `2.1`, `2.3.1`. */
export const PART_ID_PATTERN = /^[1-9]\d{0,4}(?:\.[1-9]\d{0,4}){0,31}$/;

export const importIdSchema = z.string().check(z.regex(IMPORT_ID_PATTERN, 'must look like yyyy-MM-dd_HHmm-xxxxxxxx'));

export const domainCodeSchema = z.string().check(z.regex(DOMAIN_CODE_PATTERN, 'must be 1-32 lowercase letters, digits, "-" or "_"'));

export const partIdSchema = z.string().check(z.regex(PART_ID_PATTERN, 'must be a MIME part id such as 2 or 2.1'));

/** Document and page numbers in URLs: 1-based, small, written only one way (no `0x1`, `1e3`, `+1`). */
export const ordinalSchema = z.pipe(
  z.pipe(z.string().check(z.regex(/^[1-9]\d{0,5}$/, 'must be a positive whole number such as 1')), z.transform(Number)),
  z.number().check(z.maximum(100_000)),
);

export interface ImportIdParts {
  /** `yyyy-MM-dd` */
  dateFolder: string;
  /** `HHmm-xxxxxxxx` */
  importFolder: string;
}

/** Splits an id into its two folder names; `undefined` when it is not an import id. */
export function splitImportId(id: string): ImportIdParts | undefined {
  const match = IMPORT_ID_PATTERN.exec(id);
  if (!match) return undefined;
  return { dateFolder: match[1] as string, importFolder: match[2] as string };
}

export function joinImportId(dateFolder: string, importFolder: string): string {
  return `${dateFolder}_${importFolder}`;
}
