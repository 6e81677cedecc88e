/**
 * The last result of a check that runs again every `intervalMs`
 * milliseconds, so a caller that asks often (a load balancer probing
 * `/api/health`) reads memory instead of running the check on every call.
 * A result is at most `intervalMs` plus one run of the check old. The check
 * must not reject: it reports its own failures in what it returns.
 */
export class Refreshed<T> {
  readonly #check: () => Promise<T>;
  readonly #intervalMs: number;
  #latest: Promise<T> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** bumped by `stop`, so a run that outlives it is dropped */
  #generation = 0;

  constructor(check: () => Promise<T>, intervalMs: number) {
    this.#check = check;
    this.#intervalMs = intervalMs;
  }

  /** The latest result; the first call runs the check and starts the timer (which keeps no process alive). */
  latest(): Promise<T> {
    if (!this.#latest) {
      this.#latest = this.#check();
      this.#schedule();
    }
    return this.#latest;
  }

  /** Stops the timer; a later `latest()` starts again. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#latest = undefined;
    this.#generation += 1;
  }

  #schedule(): void {
    // the next run starts once this one has answered: a slow disk never stacks up checks
    const generation = this.#generation;
    this.#timer = setTimeout(() => {
      const next = this.#check();
      void next.then(() => {
        if (generation !== this.#generation) return; // stopped meanwhile
        this.#latest = next;
        this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }
}
