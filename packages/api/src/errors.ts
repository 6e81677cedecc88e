import { z } from './zod.js';

/**
 * Stable machine-readable error codes. The HTTP status is part of the contract:
 * clients may branch on `code`, people read `title` and `detail`.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  DOMAIN_FORBIDDEN: { status: 403, title: 'You may not use this domain' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  DOMAIN_NOT_FOUND: { status: 404, title: 'Unknown domain' },
  IMPORT_NOT_FOUND: { status: 404, title: 'Import not found' },
  DOCUMENT_NOT_FOUND: { status: 404, title: 'Document not found' },
  PAGE_NOT_FOUND: { status: 404, title: 'Page not found' },
  ATTACHMENT_NOT_FOUND: { status: 404, title: 'Attachment not found' },
  IMPORT_NOT_EDITABLE: { status: 409, title: 'The import can no longer be changed' },
  IMPORT_UNREADABLE: { status: 409, title: 'The import cannot be read and is kept read-only' },
  /** RFC 9110 §15.5.10: the caller's (or the domain's) stored content is at its quota; deleting imports resolves it (ADR 0012) */
  QUOTA_EXCEEDED: { status: 409, title: 'A storage quota is used up' },
  BODY_TIMEOUT: { status: 408, title: 'The request body stopped arriving' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The upload is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  HOST_NOT_ALLOWED: { status: 421, title: 'This server does not answer to that host name' },
  /** a cluster (docs/scaling.md): the domain is stored on another node; the detail names it */
  DOMAIN_ELSEWHERE: { status: 421, title: 'Another node serves this domain' },
  LIMIT_EXCEEDED: { status: 422, title: 'A configured limit was reached' },
  ATTRIBUTES_INVALID: { status: 422, title: 'Some attribute values are not valid' },
  TEMPLATE_UNKNOWN: { status: 422, title: 'Unknown template' },
  MESSAGE_UNPARSEABLE: { status: 422, title: 'The message cannot be read as e-mail' },
  NOT_A_MESSAGE: { status: 422, title: 'The page is not an e-mail message' },
  NOTHING_TO_EXTRACT: { status: 422, title: 'There is nothing to extract' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  UPLOADS_IN_PROGRESS: { status: 429, title: 'Too many uploads at once' },
  PARSE_QUEUE_USER_FULL: { status: 429, title: 'Too many of your messages are waiting to be parsed' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  CATALOGUE_UNAVAILABLE: { status: 503, title: 'The template catalogue is not available' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  /** the server has just started and is still recovering the domain's imports (its start-up pass): answered with Retry-After */
  STARTING: { status: 503, title: 'The server is still starting' },
  /** a cluster's proxy (`toa-server cluster nginx`): the node behind the request does not answer; other nodes' domains go on */
  NODE_UNAVAILABLE: { status: 502, title: 'The server for this request is not answering' },
  /** a cluster's proxy: the node took longer than the proxy waits */
  NODE_TIMEOUT: { status: 504, title: 'The server for this request did not answer in time' },
  /** RFC 4918 §11.5: a full disk or quota, or the data disk below its free-space reserve; not stored */
  INSUFFICIENT_STORAGE: { status: 507, title: 'The server has no room to store this' },
  /** the domain is being moved to another node: reads are served, writes answer this with Retry-After */
  DOMAIN_READ_ONLY: { status: 503, title: 'The domain is read-only while it moves' },
  PARSE_QUEUE_FULL: { status: 503, title: 'Too many messages are waiting to be parsed' },
  RESOURCES_EXHAUSTED: { status: 503, title: 'The server is out of resources for the moment' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const errorCodeSchema = z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]);

/** Problem `type` URI for a code (RFC 9457 allows a URN). */
export function problemType(code: ErrorCode): string {
  return `urn:toa:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export const fieldErrorSchema = z.object({
  /** attribute id, or a dotted path into the request body */
  field: z.string(),
  code: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** RFC 9457 problem details plus TOA's stable `code`. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: errorCodeSchema,
  instance: z.optional(z.string()),
  errors: z.optional(z.array(fieldErrorSchema)),
});
export type Problem = z.infer<typeof problemSchema>;
