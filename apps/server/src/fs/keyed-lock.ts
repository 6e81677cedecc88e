import { Mutex } from 'async-mutex';

/**
 * One mutex per key (an import), created on demand and dropped when idle, so
 * different imports never wait for each other and the map does not grow.
 */
export class KeyedLock {
  private readonly entries = new Map<string, { mutex: Mutex; users: number }>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { mutex: new Mutex(), users: 0 };
      this.entries.set(key, entry);
    }
    entry.users += 1;
    try {
      return await entry.mutex.runExclusive(task);
    } finally {
      entry.users -= 1;
      if (entry.users === 0) this.entries.delete(key);
    }
  }

  isLocked(key: string): boolean {
    return this.entries.get(key)?.mutex.isLocked() ?? false;
  }
}
