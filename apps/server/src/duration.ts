/**
 * A duration for a user-facing message: whole seconds as "30 s", anything
 * else in milliseconds ("200 ms", "1 ms"), so a short timeout is never
 * rounded to "0 s".
 */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
