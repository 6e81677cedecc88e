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

/** Node's errno codes, for the few places that branch on them. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
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
