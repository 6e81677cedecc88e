import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { inlineIo, readFolders } from './folder-reader-worker.js';
import type { ImportFileState } from './import-files.js';

/**
 * What a reader is asked: a date folder (its entries and every import folder
 * in it), or one import folder; `pages`: whether each import's pages folders
 * are listed too (the sweep after a clean stop skips them, ADR 0025).
 */
export type FolderJob =
  | { kind: 'date'; dir: string; date: string; domain: string; pages: boolean }
  | { kind: 'import'; dir: string; id: string; domain: string };

/** One import folder as the start-up pass looks at it. */
export interface ImportRead {
  /** the import folder's name (`HHmm-xxxxxxxx`) */
  folder: string;
  /** its entries; none when the folder is gone */
  entries: string[];
  /** the verdict on its import.json, as `inspectImportFile` gives it */
  found: ImportFileState;
  /** the entries of each `doc-N` entry's pages folder, by `doc-N` (none when it cannot be listed, or was not asked for) */
  pages: Record<string, string[]>;
}

/** A date folder's entries, newest first, and its import folders (in that order), read; for an import job, that import alone. */
export interface FolderRead {
  entries: string[];
  imports: ImportRead[];
}

type Answer = { id: number; read: FolderRead } | { id: number; error: { message: string; code: string | undefined } };

interface Reader {
  worker: Worker;
  pending: Map<number, { resolve: (read: FolderRead) => void; reject: (error: Error) => void }>;
}

/** How the start-up pass has its folders read: `folderReaders` chooses. */
export interface FolderReading {
  /** A date folder's entries and its import folders, read (see `FolderRead`), their pages folders listed when `pages`. Rejects with the errno error of a listing that failed. */
  readDate(dir: string, date: string, domain: string, pages: boolean): Promise<FolderRead>;
  /** One import folder, read afresh (after the sweep changed it), its pages folders listed. */
  readImport(dir: string, id: string, domain: string): Promise<ImportRead>;
  /** Once the pass is done with them. */
  release(): void;
}

/**
 * A domain of up to this many date folders is read on the main thread by
 * the same code, through the thread pool's calls (it never blocks on a
 * file): starting reader threads (their modules loaded, about a tenth of a
 * second) would cost more than they save.
 */
const INLINE_DATE_FOLDERS = 16;

/** The readers for a pass over `dateFolders` date folders: threads (`FolderReaders`) for a large domain, inline for a small one. */
export function folderReaders(dateFolders: number): FolderReading {
  return dateFolders > INLINE_DATE_FOLDERS ? FolderReaders.acquire() : inlineReaders;
}

const inlineReaders: FolderReading = {
  readDate: (dir, date, domain, pages) => readFolders({ kind: 'date', dir, date, domain, pages }, inlineIo),
  readImport: async (dir, id, domain) => (await readFolders({ kind: 'import', dir, id, domain }, inlineIo)).imports[0] as ImportRead,
  release: () => {},
};

/**
 * Reads at once, whatever the cores: each reader reads one file at a time, so
 * with a cold page cache (a restore, a reboot) they are what keeps reads in
 * flight; with a warm one the pass is CPU-bound and threads beyond the cores
 * contend. Four was the best trade measured on 2 cores (ADR 23, amendment).
 */
const READERS = 4;

/**
 * Worker threads that read the folders of the start-up pass
 * (folder-reader-worker.ts): the main thread receives each import folder's
 * entries, its pages folders' entries and the verdict on its import.json,
 * instead of making five thread-pool calls and a validation per import
 * itself (ADR 23). Shared by the passes that run at once; the threads
 * end when the last pass releases them. A reader that fails (it could not
 * start, it ran out of memory) fails the jobs it had and every later one:
 * the pass fails, as it does on a read error.
 */
export class FolderReaders implements FolderReading {
  static #shared: FolderReaders | undefined;
  static #users = 0;

  readonly #readers: Reader[] = [];
  #nextId = 0;
  #failure: Error | undefined;

  /** The shared readers, started on first use; `release()` once done with them. */
  static acquire(): FolderReaders {
    FolderReaders.#users += 1;
    FolderReaders.#shared ??= new FolderReaders(READERS);
    return FolderReaders.#shared;
  }

  private constructor(count: number) {
    const { entry, eval: isSource } = workerEntry(import.meta.url, 'folder-reader-worker');
    for (let i = 0; i < count; i += 1) {
      const reader: Reader = { worker: new Worker(entry, { eval: isSource }), pending: new Map() };
      reader.worker.unref(); // referenced only while it has jobs
      reader.worker.on('message', (answer: Answer) => this.#settle(reader, answer));
      reader.worker.on('error', (error: Error) => this.#fail(error));
      reader.worker.on('exit', (code) => this.#fail(new Error(`a folder reader thread ended (exit code ${code})`)));
      this.#readers.push(reader);
    }
  }

  readDate(dir: string, date: string, domain: string, pages: boolean): Promise<FolderRead> {
    return this.#run({ kind: 'date', dir, date, domain, pages });
  }

  async readImport(dir: string, id: string, domain: string): Promise<ImportRead> {
    const read = await this.#run({ kind: 'import', dir, id, domain });
    return read.imports[0] as ImportRead;
  }

  release(): void {
    FolderReaders.#users -= 1;
    if (FolderReaders.#users > 0 || FolderReaders.#shared !== this) return;
    FolderReaders.#shared = undefined;
    this.#failure ??= new Error('the folder readers were released');
    for (const reader of this.#readers) void reader.worker.terminate();
  }

  #run(job: FolderJob): Promise<FolderRead> {
    if (this.#failure) return Promise.reject(this.#failure);
    const reader = this.#readers.reduce((least, next) => (next.pending.size < least.pending.size ? next : least));
    const id = this.#nextId++;
    return new Promise<FolderRead>((resolve, reject) => {
      reader.pending.set(id, { resolve, reject });
      reader.worker.ref();
      reader.worker.postMessage({ id, job });
    });
  }

  #settle(reader: Reader, answer: Answer): void {
    const waiting = reader.pending.get(answer.id);
    if (!waiting) return;
    reader.pending.delete(answer.id);
    if (reader.pending.size === 0) reader.worker.unref();
    if ('read' in answer) waiting.resolve(answer.read);
    else waiting.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const reader of this.#readers) {
      for (const waiting of reader.pending.values()) waiting.reject(error);
      reader.pending.clear();
      reader.worker.unref();
    }
  }
}
