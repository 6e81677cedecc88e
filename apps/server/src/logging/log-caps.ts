/** The most characters of one client-supplied value (a URL, a problem detail) that reach the server log. */
export const LOG_VALUE_MAX = 300;

/**
 * A client-supplied string as the log keeps it: whole up to `max` characters,
 * otherwise its first `max` characters and how much was cut, so one request
 * can never write more than a few hundred bytes of its own into the log.
 */
export function capForLog(value: string, max = LOG_VALUE_MAX): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length - max} more characters)`;
}
