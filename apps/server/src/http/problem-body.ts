import { ERRORS, type ErrorCode, type FieldError, type Problem, problemType } from '@toa/api/errors';

/**
 * The body of a refusal in the shared problem shape (RFC 9457
 * `application/problem+json`): `type`, `title` and `status` from the error
 * code's entry in `@toa/api/errors`, the `detail` for this request, and the
 * `instance` and field errors when there are any. Nothing of Express here:
 * the answer given while the server starts needs it before Express loads.
 */
export function problem(code: ErrorCode, detail: string, instance?: string, errors?: FieldError[]): Problem {
  return {
    type: problemType(code),
    title: ERRORS[code].title,
    status: ERRORS[code].status,
    detail,
    code,
    ...(instance ? { instance } : {}),
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
