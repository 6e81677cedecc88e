import { API_PREFIX, ROUTES } from '@toa/api/routes';

/** The path metrics are served at (Prometheus' default `metrics_path`). */
export const METRICS_PATH = '/metrics';

/** Label of an `/api` path that matches no route (404s, probes, floods). */
export const UNMATCHED = 'unmatched';
/** Label of every other path: the task pane's files and whatever is asked outside `/api`. */
export const PANE = 'pane';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

const PATTERNS = [...Object.values(ROUTES).map((route) => `${API_PREFIX}${route}`), METRICS_PATH].map((pattern) => ({
  pattern,
  // a `:param` segment is undefined: any non-empty value fills it
  segments: pattern
    .split('/')
    .slice(1)
    .map((part) => (part.startsWith(':') ? undefined : part)),
}));

/** The patterns without a parameter, by themselves: most requests of a kind (health, me, metrics) spell them exactly. */
const LITERAL_PATTERNS = new Map(PATTERNS.filter((candidate) => !candidate.pattern.includes(':')).map(({ pattern }) => [pattern, pattern]));

/** The patterns by their number of segments: a path is compared only with those of its own length. */
const PATTERNS_BY_LENGTH = new Map<number, typeof PATTERNS>();
for (const candidate of PATTERNS) {
  const group = PATTERNS_BY_LENGTH.get(candidate.segments.length);
  if (group) group.push(candidate);
  else PATTERNS_BY_LENGTH.set(candidate.segments.length, [candidate]);
}

/**
 * The route pattern a request path belongs to (`/api/import/:domain/:id`),
 * never the path itself: a label value must come from a fixed set, or a
 * client choosing URLs could create series without end. Literal segments
 * compare case-insensitively and one trailing slash is ignored, as Express
 * routes them; any value fills a `:param`.
 */
export function routeLabel(path: string): string {
  const literal = LITERAL_PATTERNS.get(path);
  if (literal) return literal;
  const segments = path.split('/').slice(1);
  if (segments.length > 1 && segments.at(-1) === '') segments.pop();
  const candidates = PATTERNS_BY_LENGTH.get(segments.length);
  if (candidates) {
    const lowered = segments.map((segment) => segment.toLowerCase());
    const found = candidates.find((candidate) => candidate.segments.every((part, i) => (part === undefined ? segments[i] !== '' : part === lowered[i])));
    if (found) return found.pattern;
  }
  return path === API_PREFIX || path.toLowerCase().startsWith(`${API_PREFIX}/`) ? UNMATCHED : PANE;
}

/** The request method, or `other` for anything outside the methods HTTP defines for this API. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}
