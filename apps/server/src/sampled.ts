/**
 * The last result of a check that looks at the disk, taken again when a
 * caller finds it older than `maxAgeMs`: the caller gets the last result at
 * once and the new one is taken in the background, so however often callers
 * ask (a load balancer probing `/api/health`), the check runs at most once a
 * `maxAgeMs`, and only the very first caller waits for it. No timer: nothing
 * runs while nobody asks, and nothing is left to stop at shutdown. A result
 * is at most `maxAgeMs` plus one run of the check old when it is handed out.
 * The check must not reject: it reports its failures in what it returns.
 */
export class Sampled<T> {
  readonly #check: () => Promise<T>;
  readonly #maxAgeMs: number;
  #latest: { at: number; value: Promise<T> } | undefined;
  #settled: T | undefined;
  #taking = false;

  constructor(check: () => Promise<T>, maxAgeMs: number) {
    this.#check = check;
    this.#maxAgeMs = maxAgeMs;
  }

  latest(): Promise<T> {
    const now = performance.now();
    if (!this.#latest) {
      const first = this.#check();
      this.#latest = { at: now, value: first };
      first.then(
        (value) => {
          this.#settled ??= value;
        },
        () => undefined,
      );
    } else if (!this.#taking && now - this.#latest.at >= this.#maxAgeMs) {
      this.#taking = true;
      const next = this.#check();
      const settle = (): void => {
        this.#latest = { at: performance.now(), value: next };
        this.#taking = false;
      };
      next.then((value) => {
        this.#settled = value;
        settle();
      }, settle);
    }
    return this.#latest.value;
  }

  /**
   * The last result, without waiting (no promise for the caller to await):
   * `undefined` until the first look is done. Prompts a new look as `latest` does.
   */
  settled(): T | undefined {
    void this.latest();
    return this.#settled;
  }
}
