import type { Import, ImportSummary } from '@toa/api/imports';

/** What a listing shows of an import, plus the owner key it is filtered by. */
export interface IndexedImport extends ImportSummary {
  userId: string;
}

export function summarize(current: Import): IndexedImport {
  return {
    id: current.id,
    domain: current.domain,
    status: current.status,
    createdAt: current.createdAt,
    updatedAt: current.updatedAt,
    source: current.source,
    ...(current.error === undefined ? {} : { error: current.error }),
    ...(current.damisBatchId === undefined ? {} : { damisBatchId: current.damisBatchId }),
    documentCount: current.documents.length,
    pageCount: current.documents.reduce((sum, d) => sum + d.pages.length, 0),
    userId: current.userId,
  };
}

const newestFirst = (a: IndexedImport, b: IndexedImport): number => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id);

/**
 * The listing of one domain, in memory: built once from the import.json files
 * (the source of truth), then kept current by the storage's own writes, so a
 * listing never reads every import.json again. A write that races the build
 * wins over what the build read (writes of one import are serialised by its
 * lock, so the last one recorded is the newest), and an import removed during
 * the build stays removed.
 */
export class ImportIndex {
  readonly #entries = new Map<string, IndexedImport>();
  #build: Promise<void> | undefined;
  /** ids removed while the build runs, which the build must not bring back */
  #removedDuringBuild: Set<string> | undefined;

  /** Builds the index on first use; `scan` yields every readable import of the domain. */
  ready(scan: () => AsyncIterable<Import>): Promise<void> {
    this.#build ??= (async () => {
      this.#removedDuringBuild = new Set();
      try {
        for await (const current of scan()) {
          if (this.#removedDuringBuild.has(current.id) || this.#entries.has(current.id)) continue;
          this.#entries.set(current.id, summarize(current));
        }
      } finally {
        this.#removedDuringBuild = undefined;
      }
    })().catch((error: unknown) => {
      this.#build = undefined; // the next listing tries again
      throw error;
    });
    return this.#build;
  }

  /** After every write of an import.json. */
  record(current: Import): void {
    this.#entries.set(current.id, summarize(current));
  }

  /** After an import folder is removed. */
  forget(id: string): void {
    this.#entries.delete(id);
    this.#removedDuringBuild?.add(id);
  }

  /** The owner's imports (of one message, when given), newest first. */
  owned(userId: string, messageId?: string): IndexedImport[] {
    const found: IndexedImport[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.userId !== userId) continue;
      if (messageId !== undefined && entry.source.internetMessageId !== messageId) continue;
      found.push(entry);
    }
    return found.sort(newestFirst);
  }
}
