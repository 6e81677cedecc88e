import { statfs } from 'node:fs/promises';
import { AppError } from '../errors.js';

/** A statfs reading is reused this long: writes ask before every body, statfs is a system call. */
const READING_TTL_MS = 1_000;
const MIB = 1024 * 1024;

export interface FreeSpaceReading {
  /** bytes an unprivileged process may still write on the data root's filesystem (`bavail × bsize`) */
  freeBytes: number;
  /** the configured reserve, bytes (`limits.freeSpaceReserveMb`) */
  reserveBytes: number;
  /** the size of the data root's filesystem, bytes (`blocks × bsize`) */
  totalBytes: number;
  belowReserve: boolean;
}

/**
 * What an administrator must hear at start about the disk, or `undefined`:
 * a reserve larger than the whole disk (every write would answer 507 for
 * good) or a disk already below its reserve.
 */
export function reserveWarning({ freeBytes, reserveBytes, totalBytes, belowReserve }: FreeSpaceReading): string | undefined {
  if (reserveBytes > totalBytes) {
    return `the free-space reserve of ${formatMib(reserveBytes)} is larger than the whole data disk (${formatMib(totalBytes)}): every new import and page will be refused with 507; lower limits.freeSpaceReserveMb`;
  }
  if (belowReserve) {
    return `the data disk has ${formatMib(freeBytes)} free, below its reserve of ${formatMib(reserveBytes)}: new content is refused with 507 until there is room`;
  }
  return undefined;
}

/**
 * The data disk's free space against the reserve `limits.freeSpaceReserveMb`.
 * `access(W_OK)` cannot see a full disk, and a disk filled by one user makes
 * every user's writes fail half-way: below the reserve new content is refused
 * up front (507, RFC 4918 §11.5) while reads, deletes and submits go on.
 */
export class FreeSpace {
  readonly #root: string;
  readonly #reserveBytes: number;
  #cached: { at: number; reading: Promise<FreeSpaceReading> } | undefined;

  constructor(root: string, reserveMb: number) {
    this.#root = root;
    this.#reserveBytes = reserveMb * MIB;
  }

  /** The current reading, at most a second old. Rejects with the statfs error (`ENOENT`, `EACCES`). */
  reading(): Promise<FreeSpaceReading> {
    const now = performance.now();
    if (!this.#cached || now - this.#cached.at >= READING_TTL_MS) {
      const reading = this.#read();
      // a failed reading is not remembered: the next call asks again
      reading.catch(() => {
        if (this.#cached?.reading === reading) this.#cached = undefined;
      });
      this.#cached = { at: now, reading };
    }
    return this.#cached.reading;
  }

  /** Throws `INSUFFICIENT_STORAGE` (507) when the disk is below the reserve; call before a body is read. */
  async assertRoom(): Promise<void> {
    // a data root statfs cannot read is for the write itself (and health) to report, not guessed at here
    const reading = await this.reading().catch(() => undefined);
    if (reading?.belowReserve) {
      const { freeBytes, reserveBytes } = reading;
      throw new AppError(
        'INSUFFICIENT_STORAGE',
        `the server's data disk has ${formatMib(freeBytes)} free, below its reserve of ${formatMib(reserveBytes)}; nothing new can be stored until an administrator makes room (reading and deleting still work)`,
      );
    }
  }

  async #read(): Promise<FreeSpaceReading> {
    const stats = await statfs(this.#root);
    const freeBytes = stats.bavail * stats.bsize;
    return { freeBytes, reserveBytes: this.#reserveBytes, totalBytes: stats.blocks * stats.bsize, belowReserve: freeBytes < this.#reserveBytes };
  }
}

function formatMib(bytes: number): string {
  return `${Math.floor(bytes / MIB)} MiB`;
}
