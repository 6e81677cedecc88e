import { ERRORS, type ErrorCode, type FieldError } from '@toa/api/errors';

/**
 * The one error type services throw. It knows nothing of HTTP beyond the
 * stable code, which the shared package maps to a status.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: FieldError[] | undefined;
  /** seconds after which a retry may succeed, sent as `Retry-After` (RFC 9110 §10.2.3) */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: { fieldErrors?: FieldError[]; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.fieldErrors = options.fieldErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Node's errno codes, for the few places that branch on them. An error
 * without a code of its own that wraps one (`cause`, as "a mail worker could
 * not start" wraps the worker's EMFILE) has the code of what it wraps.
 */
export function errnoCode(error: unknown): string | undefined {
  let current = error;
  // a few levels: a cause chain is short, and a cycle must not loop
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current) return typeof current.code === 'string' ? current.code : undefined;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

/** The process or the machine ran out of descriptors: a passing condition, never a fault of the file or the request. */
export function isOutOfDescriptors(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'EMFILE' || code === 'ENFILE';
}

/**
 * A file-system error in a few words, without the path or a stack:
 * `EACCES (permission denied)`. Anything else gives its message.
 */
export function fileProblem(error: unknown): string {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) return message;
  const words = new RegExp(`^${code}: ([^,]+)`).exec(message)?.[1];
  return words ? `${code} (${words})` : code;
}

/** Problems found by the start-up checks in production mode: the start stops, one line each. */
export class StartupError extends Error {
  constructor(readonly problems: string[]) {
    super(`not starting in production mode; the start-up checks found:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StartupError';
  }
}
