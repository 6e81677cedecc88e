import type { ErrorCode, Problem } from '@toa/api/errors';
import type { ErrorRequestHandler, Request } from 'express';
import { MulterError } from 'multer';
import { z } from 'zod';
import { AppError, errnoCode, fileProblem, isOutOfDescriptors } from '../errors.js';
import { capForLog } from '../logging/log-caps.js';
import type { RefusalSampler } from '../logging/refusal-sampler.js';
import { problem } from './problem-body.js';
import type { SecurityHeaders } from './security-headers.js';

const MULTER_DETAILS: Record<string, { code: ErrorCode; detail: (limit: string) => string }> = {
  LIMIT_FILE_SIZE: { code: 'PAYLOAD_TOO_LARGE', detail: (limit) => `the file is larger than the page size limit of ${limit}` },
  LIMIT_PART_COUNT: { code: 'VALIDATION_FAILED', detail: () => 'the multipart body has too many parts; send one file field named "file"' },
  LIMIT_FILE_COUNT: { code: 'VALIDATION_FAILED', detail: () => 'send exactly one file, in the field named "file"' },
  LIMIT_FIELD_COUNT: { code: 'VALIDATION_FAILED', detail: () => 'the multipart body has too many fields' },
  LIMIT_FIELD_KEY: { code: 'VALIDATION_FAILED', detail: () => 'a multipart field name is too long' },
  LIMIT_FIELD_VALUE: { code: 'VALIDATION_FAILED', detail: () => 'a multipart field value is too long' },
  LIMIT_UNEXPECTED_FILE: { code: 'VALIDATION_FAILED', detail: () => 'unexpected file field; send one file field named "file"' },
  MISSING_FIELD_NAME: { code: 'VALIDATION_FAILED', detail: () => 'a multipart part has no field name' },
};

const STORAGE_FULL = new Set(['ENOSPC', 'EDQUOT']);
/** What a client is told to wait when the server ran out of descriptors. */
const RESOURCE_RETRY_SECONDS = 5;

/** `Retry-After` seconds for an error, when waiting helps. */
export function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof AppError) return error.retryAfterSeconds;
  return isOutOfDescriptors(error) ? RESOURCE_RETRY_SECONDS : undefined;
}

/** Maps any error to a problem response; nothing else in the server writes error bodies. */
export function toProblem(error: unknown, req: Pick<Request, 'originalUrl'> & { pageSizeLimit?: string }): Problem {
  const instance = req.originalUrl;
  if (error instanceof AppError) return problem(error.code, error.message, instance, error.fieldErrors);
  // any zod failure: classic zod's (configuration) and the `@toa/api` schemas' (`zod/mini`, a core error)
  if (error instanceof z.core.$ZodError) {
    const errors = error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', code: issue.code, message: issue.message }));
    return problem('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), instance, errors);
  }
  if (error instanceof MulterError) {
    const known = MULTER_DETAILS[error.code];
    return known
      ? problem(known.code, known.detail(req.pageSizeLimit ?? 'the configured size'), instance)
      : problem('VALIDATION_FAILED', `the multipart body is not acceptable: ${error.message}`, instance);
  }
  const httpError = error as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  if (httpError.type === 'entity.too.large') return problem('PAYLOAD_TOO_LARGE', 'the JSON body is too large', instance);
  if (httpError.type === 'entity.parse.failed') return problem('VALIDATION_FAILED', 'the body is not valid JSON', instance);
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500 && httpError.expose === true) {
    return problem('VALIDATION_FAILED', String(httpError.message), instance);
  }
  // the router could not percent-decode a path parameter (`%zz`, overlong UTF-8 such as `%C0%AE`)
  if (error instanceof URIError) return problem('VALIDATION_FAILED', 'the URL has a malformed percent-encoding', instance);
  // busboy's complaints about a malformed body are plain Errors
  if (error instanceof Error && /^(Malformed|Unexpected end of form|Multipart: Boundary not found|Unsupported content type)/i.test(error.message)) {
    return problem('VALIDATION_FAILED', `the multipart body is malformed: ${error.message}`, instance);
  }
  // out of descriptors: a passing condition, never a fault of the request
  if (isOutOfDescriptors(error)) {
    return problem('RESOURCES_EXHAUSTED', 'the server has too many files open for the moment; try again shortly', instance);
  }
  if (error instanceof Error && /^Request (aborted|closed)$/.test(error.message)) {
    return problem('VALIDATION_FAILED', 'the upload was interrupted', instance);
  }
  // the whole kind: any write that meets a full disk or quota, wherever it happens, is 507, not 500 (RFC 4918 §11.5)
  if (STORAGE_FULL.has(errnoCode(error) ?? '')) {
    return problem(
      'INSUFFICIENT_STORAGE',
      `the server's disk is full (${fileProblem(error)}); this request could not be stored; try again later or tell the administrator`,
      instance,
    );
  }
  return problem('INTERNAL', 'something went wrong on the server; the request id in X-Request-Id helps the administrator find it', instance);
}

/** Statuses of requests refused before they reach the service: a flood of them is logged by sample. */
const REFUSAL_STATUSES = new Set([401, 421, 429]);

/**
 * The one error middleware: every error becomes a problem response. 5xx are
 * logged as errors; 4xx as one warning with the code and the (capped)
 * detail, refusals (401, 421, 429) only as far as `refusals` admits them for
 * the client's address; a refusal left out is left out of the request log
 * line too (`res.locals.quietLog`). Every problem is JSON with the API's
 * security headers (`headers`), whichever path it answers and however early
 * it was refused (a Host refused before any route, say).
 */
export function createErrorHandler(refusals: RefusalSampler, headers: SecurityHeaders): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const body = toProblem(error, req as Request & { pageSizeLimit?: string });
    if (body.status >= 500) req.log.error({ err: error }, capForLog(body.detail));
    else if (!REFUSAL_STATUSES.has(body.status) || refusals.admit(req.ip ?? 'unknown')) {
      const reason = res.locals.refusalReason as string | undefined;
      req.log.warn({ code: body.code, detail: capForLog(body.detail), ...(reason ? { reason: capForLog(reason) } : {}) }, 'request refused');
    } else res.locals.quietLog = true;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    headers(req, res, () => {});
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  };
}
