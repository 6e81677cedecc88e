import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, type Import, importSchema, isMessageType, type Page } from '@toa/api/imports';
import { TMP_SUFFIX } from '../../src/fs/atomic-fs.js';
import type { DomainStorage } from '../../src/storage/domain-storage.js';
import { fsckDomains } from '../../src/storage/fsck.js';
import { EXTRACT_JOURNAL_FILE } from '../../src/storage/layout.js';
import type { Acks } from './tracking-client.js';

export interface InvariantReport {
  /** every broken promise, one line each; empty when all hold */
  violations: string[];
  imports: number;
  ackedPagesChecked: number;
  ackedPagesLost: number;
  /** temporaries, journals and unlisted files anyone could see in the data root */
  partialFilesVisible: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * Checks a data root against SPEC §3–4 and against what the server
 * acknowledged, for a stopped server or one with no mutation in flight.
 * Sizes, hashes, sidecars and leftovers are checked by the same code as
 * `toa-server fsck`; the rest is checked here from the raw files, so that a
 * blind spot of the server's own reading does not hide a fault.
 */
export async function checkInvariants(dataRoot: string, storages: DomainStorage[], acks: Acks): Promise<InvariantReport> {
  const report: InvariantReport = { violations: [], imports: 0, ackedPagesChecked: 0, ackedPagesLost: 0, partialFilesVisible: 0 };
  const fail = (message: string): void => {
    report.violations.push(message);
  };

  for (const finding of await fsckDomains(dataRoot, storages, false)) {
    if (finding.problem.startsWith('leftover')) report.partialFilesVisible += 1;
    fail(`fsck: ${finding.path}: ${finding.problem}`);
  }
  for (const file of await filesUnder(dataRoot)) {
    if (!file.endsWith(TMP_SUFFIX) && path.basename(file) !== EXTRACT_JOURNAL_FILE) continue;
    report.partialFilesVisible += 1;
    fail(`partial file visible: ${path.relative(dataRoot, file)}`);
  }

  const imports = new Map<string, Import>();
  for (const storage of storages) {
    for (const id of await storage.ids()) {
      report.imports += 1;
      const parsed = await readImportJson(storage.paths(id).importFile);
      if (!parsed) {
        fail(`${id}: import.json is missing, not JSON or does not match the schema`);
        continue;
      }
      imports.set(id, parsed);
      checkNumbering(parsed, fail);
    }
  }
  checkAckedPages(imports, acks, report, fail);
  checkExtractions(imports, acks, fail);
  return report;
}

/** Read without the server's code: what a reader of the raw file gets. */
async function readImportJson(file: string): Promise<Import | undefined> {
  try {
    return importSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

function checkNumbering(current: Import, fail: (message: string) => void): void {
  const docs = current.documents.map((d) => d.n);
  if (new Set(docs).size !== docs.length) fail(`${current.id}: duplicate document numbers ${docs.join(',')}`);
  for (const doc of current.documents) {
    const pages = doc.pages.map((p) => p.m);
    if (new Set(pages).size !== pages.length) fail(`${current.id}: document ${doc.n} has duplicate page numbers ${pages.join(',')}`);
  }
}

/** The pages an extraction made (pages added later to the document have no part id). */
const extractedPages = (doc: Document): Page[] => doc.pages.filter((p) => p.partId !== undefined);

const sameSource = (origin: { document: number; page: number } | undefined, n: number, m: number): boolean => origin?.document === n && origin.page === m;

/**
 * Every page answered 201 is listed with its hash, unless a deletion was asked
 * for; an EML may have been rewritten by an extraction, which
 * `checkExtractions` holds to all or nothing.
 */
function checkAckedPages(imports: Map<string, Import>, acks: Acks, report: InvariantReport, fail: (message: string) => void): void {
  for (const acked of acks.pages) {
    if (acks.importDeletionsSent.has(acked.importId)) continue;
    if (acks.deletionsSent.some((d) => d.importId === acked.importId && d.n === acked.n)) continue;
    report.ackedPagesChecked += 1;
    const current = imports.get(acked.importId);
    const page = current?.documents.find((d) => d.n === acked.n)?.pages.find((p) => p.m === acked.m);
    if (page && (page.sha256 === acked.sha256 || isMessageType(acked.contentType))) continue;
    report.ackedPagesLost += 1;
    fail(`${acked.importId}: acknowledged page ${acked.n}/${acked.m} is ${page ? 'listed with another sha256' : 'gone'}`);
  }
}

/**
 * All or nothing: an extracted document goes with a rewritten EML, an EML
 * with its original bytes has no extracted document, and an acknowledged
 * extraction is listed as it was answered.
 */
function checkExtractions(imports: Map<string, Import>, acks: Acks, fail: (message: string) => void): void {
  for (const current of imports.values()) {
    for (const doc of current.documents) {
      if (!doc.origin) continue;
      const { document: n, page: m } = doc.origin;
      const original = acks.pages.find((p) => p.importId === current.id && p.n === n && p.m === m);
      const source = current.documents.find((d) => d.n === n)?.pages.find((p) => p.m === m);
      if (!source) fail(`${current.id}: document ${doc.n} was extracted from page ${n}/${m}, which is not listed`);
      else if (original && source.sha256 === original.sha256) fail(`${current.id}: document ${doc.n} exists but its source EML ${n}/${m} is not rewritten`);
      for (const page of extractedPages(doc)) {
        if (!acks.attachmentShas.has(page.sha256)) fail(`${current.id}: extracted page ${doc.n}/${page.m} holds bytes of no attachment sent`);
      }
    }
  }
  for (const acked of acks.pages) {
    const current = imports.get(acked.importId);
    const page = current?.documents.find((d) => d.n === acked.n)?.pages.find((p) => p.m === acked.m);
    if (!current || !page || page.sha256 === acked.sha256) continue;
    const hasDocument = current.documents.some((d) => sameSource(d.origin, acked.n, acked.m));
    const documentDeleted = acks.deletionsSent.some((d) => d.importId === acked.importId);
    if (!hasDocument && !documentDeleted) fail(`${acked.importId}: EML ${acked.n}/${acked.m} is rewritten but no document was extracted from it`);
  }
  for (const extraction of acks.extractions) {
    if (acks.importDeletionsSent.has(extraction.importId)) continue;
    if (acks.deletionsSent.some((d) => d.importId === extraction.importId && d.n === extraction.document.n)) continue;
    const listed = imports.get(extraction.importId)?.documents.find((d) => d.n === extraction.document.n);
    const same =
      listed &&
      sameSource(listed.origin, extraction.source.n, extraction.source.m) &&
      JSON.stringify(extractedPages(listed).map((p) => p.sha256)) === JSON.stringify(extractedPages(extraction.document).map((p) => p.sha256));
    if (!same) fail(`${extraction.importId}: acknowledged extraction into document ${extraction.document.n} is not listed as answered`);
  }
}
