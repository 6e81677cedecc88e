import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const MIB = 1024 * 1024;

/**
 * A small filesystem of its own (tmpfs) mounted on a folder, so a fault can
 * fill it to the last byte without touching the machine's disks. Mounting
 * needs root and a sandbox that allows `mount`; `scratchDiskProblem()` says
 * why not when it cannot be done here.
 */
export class ScratchDisk {
  readonly #filler: string;
  #mounted = false;

  private constructor(readonly dir: string) {
    this.#filler = path.join(dir, '.filler');
  }

  /** Mounts a `sizeMb` MiB tmpfs on `dir` (created). */
  static async mount(dir: string, sizeMb: number): Promise<ScratchDisk> {
    await mkdir(dir, { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`mount -t tmpfs on ${dir} failed: ${mounted.stderr || mounted.error?.message}`);
    const disk = new ScratchDisk(dir);
    disk.#mounted = true;
    return disk;
  }

  /** Fills every free byte: writes a MiB at a time until the disk refuses with ENOSPC. */
  async fill(): Promise<void> {
    const file = await open(this.#filler, 'a');
    const chunk = Buffer.alloc(MIB, 1);
    try {
      for (;;) await file.write(chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await file.close();
    }
  }

  /** Gives the filled room back: the fault is gone. */
  async free(): Promise<void> {
    await rm(this.#filler, { force: true });
  }

  /** Unmounts, lazily if the server that used it has not let go yet. */
  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    if (spawnSync('umount', [this.dir]).status !== 0) spawnSync('umount', ['-l', this.dir]);
  }
}

let probed: string | null | undefined;

/** Why no tmpfs can be mounted here (not root, or `mount` refused), or `null` when it can. */
export function scratchDiskProblem(): string | null {
  if (probed !== undefined) return probed;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    probed = 'mounting a tmpfs needs root on Linux; these faults need a small filesystem of their own';
    return probed;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'toa-scratch-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status === 0) {
    spawnSync('umount', [dir]);
    probed = null;
  } else {
    probed = `mount -t tmpfs was refused here (${(mounted.stderr || mounted.error?.message || 'no reason').trim()}); these faults need a small filesystem of their own`;
  }
  rmdirSync(dir);
  return probed;
}
