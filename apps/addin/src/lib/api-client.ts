import { type Problem, problemSchema, type FieldError } from '@toa/api/errors';
import { type DomainsResponse, domainsResponseSchema, type Me, meSchema } from '@toa/api/identity';
import {
  type AddPageResponse,
  addPageResponseSchema,
  type CreateImportRequest,
  type Document,
  documentSchema,
  type Import,
  importSchema,
  type ListImportsResponse,
  listImportsResponseSchema,
  type Sidecar,
  sidecarSchema,
  type UpdateDocumentRequest,
} from '@toa/api/imports';
import { DEV_IDENTITY_HEADERS, PAGE_UPLOAD_FIELD, paths } from '@toa/api/routes';
import { type LastValuesResponse, lastValuesResponseSchema } from '@toa/api/last-values';
import { type SuggestionRequest, type SuggestionsResponse, suggestionsResponseSchema } from '@toa/api/suggestions';
import { retryAfterMs } from '@toa/api/retry-after';
import { type TemplatesResponse, templatesResponseSchema } from '@toa/api/templates';
import type { z } from '@toa/api/zod';
import { retry, type RetryWait } from './retry';

/** The server answered with a problem (RFC 9457), or with something the contract does not allow. */
export class ApiError extends Error {
  readonly problem: Problem;
  /** the pause the answer's `Retry-After` asked for (RFC 9110 §10.2.3), in ms, uncapped */
  readonly retryAfterMs: number | undefined;
  /** set when the client gave up: the attempts it made, each refused for now (429, or 503 with Retry-After) */
  readonly attempts: number | undefined;
  constructor(problem: Problem, options: { retryAfterMs?: number; attempts?: number } = {}) {
    super(options.attempts ? gaveUpText(problem, options.attempts) : problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): Problem['code'] {
    return this.problem.code;
  }
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

/** No answer at all: offline, DNS, connection reset, aborted proxy. */
export class NetworkError extends Error {
  constructor(message = 'The TOA server could not be reached.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/**
 * Signing in failed: the token source could not give a token, or the server
 * refused a fresh one. Never retried by itself (a new attempt may prompt the
 * user); the message is for the user.
 */
export class AuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
  }
}

/**
 * Where bearer tokens come from (Office single sign-on in the pane). Asked only
 * once the server has challenged with `WWW-Authenticate: Bearer`, and again when
 * it refuses the cached token as `invalid_token`. Should throw an Error whose
 * message is meant for the user.
 */
export type TokenSource = () => Promise<string>;

/** What the user reads when every attempt was refused for now. */
function gaveUpText(problem: Problem, attempts: number): string {
  const why = problem.detail || problem.title;
  return `The TOA server is busy and refused this ${attempts} times (${why}). Wait a minute, then try again.`;
}

const TRANSIENT_STATUSES = new Set([502, 503, 504]);

/** Worth another attempt of an idempotent call: the request may never have reached the server's logic. */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  // A domain without a catalogue answers 503 too, but that will not change in a second.
  return error instanceof ApiError && TRANSIENT_STATUSES.has(error.status) && error.code !== 'CATALOGUE_UNAVAILABLE';
}

/**
 * Refused for now, with nothing done: 429 (RFC 6585 §4), or 503 with
 * `Retry-After` (RFC 9110 §15.6.4). TOA's server answers these before it acts
 * (rate limits, per-user upload slots, the parse line, a draining domain), so
 * any request may be sent again after the pause, uploads and creations too.
 */
export function isRefusedForNow(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 429 || (error.status === 503 && error.retryAfterMs !== undefined));
}

/** The longest pause the pane makes for one `Retry-After`: a user waits at the screen. */
export const MAX_RETRY_AFTER_MS = 30_000;

export interface Identity {
  email: string;
  name: string;
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** What a caller may add to any call. */
export interface CallOptions {
  /** aborts the request and any pause before another attempt */
  signal?: AbortSignal;
  /** told before each pause between attempts (a `Retry-After`, a back-off), to show the user what it waits for */
  onWait?: (wait: RetryWait) => void;
}

export interface ApiClient {
  me(): Promise<Me>;
  domains(): Promise<DomainsResponse>;
  templates(domain: string): Promise<TemplatesResponse>;
  /** the caller's last filed values per template (docs/api.md, "Last values") */
  lastValues(domain: string): Promise<LastValuesResponse>;
  listImports(domain: string, query?: { messageId?: string; limit?: number; offset?: number }, options?: CallOptions): Promise<ListImportsResponse>;
  getImport(domain: string, id: string, options?: CallOptions): Promise<Import>;
  createImport(domain: string, body: CreateImportRequest, options?: CallOptions): Promise<Import>;
  /** Ranked places to file a message in `domain`, best first (`POST …/suggestions`); changes nothing, so retried like a read. */
  suggestions(domain: string, body: SuggestionRequest, options?: CallOptions): Promise<SuggestionsResponse>;
  deleteImport(domain: string, id: string, options?: CallOptions): Promise<void>;
  /** sent again only when refused for now (`isRefusedForNow`): a lost answer may have stored the page */
  uploadPage(
    domain: string,
    id: string,
    n: number,
    file: { blob: Blob; filename: string },
    options?: CallOptions & { onProgress?: (progress: UploadProgress) => void },
  ): Promise<AddPageResponse>;
  pageMeta(domain: string, id: string, n: number, m: number, options?: CallOptions): Promise<Sidecar>;
  extract(domain: string, id: string, n: number, m: number, partIds: string[], options?: CallOptions): Promise<Document>;
  updateDocument(domain: string, id: string, n: number, body: UpdateDocumentRequest, options?: CallOptions): Promise<Document>;
  /** idempotent on the server: a PENDING or final import answers with its state */
  submit(domain: string, id: string, options?: CallOptions): Promise<Import>;
}

export interface ApiClientOptions {
  /** origin the `/api` paths are resolved against; empty for the page's own origin */
  baseUrl?: string;
  /** sent as the dev-mode identity headers until the server asks for a bearer token */
  identity: () => Identity | undefined;
  /** asked for a token when the server challenges with `WWW-Authenticate: Bearer` (jwt mode) */
  accessToken?: TokenSource;
  /**
   * The one retry policy (docs/taskpane.md, "When the server is busy"): attempts
   * of every call, the first included (default 4); the first back-off delay
   * (default 500 ms, doubling to 8 s) for idempotent calls that met no answer or
   * 502/503/504; the longest `Retry-After` pause honoured (default
   * `MAX_RETRY_AFTER_MS`) for any call refused for now.
   */
  retry?: { attempts: number; baseDelayMs: number; maxRetryAfterMs?: number };
}

interface RequestOptions<T> extends CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  schema?: z.ZodMiniType<T>;
  body?: unknown;
  /** safe to send again after a transient failure */
  idempotent: boolean;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const retryPolicy = options.retry ?? { attempts: 4, baseDelayMs: 500 };
  const maxRetryAfterMs = retryPolicy.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS;

  /**
   * Runs `task` under the one policy: every call again after a refusal for now,
   * pausing as `Retry-After` asks (capped); an idempotent call also after a
   * transient failure, with back-off. A call refused every time ends in an
   * ApiError that says so.
   */
  async function withRetries<T>(task: () => Promise<T>, idempotent: boolean, call: CallOptions): Promise<T> {
    try {
      return await retry(task, {
        attempts: retryPolicy.attempts,
        baseDelayMs: retryPolicy.baseDelayMs,
        maxDelayMs: 8_000,
        isRetryable: (error) => isRefusedForNow(error) || (idempotent && isTransient(error)),
        requestedDelay: (error) => (error instanceof ApiError && error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, maxRetryAfterMs) : undefined),
        onWait: call.onWait,
        signal: call.signal,
      });
    } catch (error) {
      if (retryPolicy.attempts > 1 && error instanceof ApiError && isRefusedForNow(error) && !call.signal?.aborted) {
        throw new ApiError(error.problem, { retryAfterMs: error.retryAfterMs, attempts: retryPolicy.attempts });
      }
      throw error;
    }
  }

  function identityHeaders(): Record<string, string> {
    const identity = options.identity();
    if (!identity) return {};
    // Header values must be ISO-8859-1; a name with other characters is sent URI-encoded.
    const name = /^[\x20-\x7e]*$/.test(identity.name) ? identity.name : encodeURIComponent(identity.name);
    return { [DEV_IDENTITY_HEADERS.email]: identity.email, [DEV_IDENTITY_HEADERS.name]: name };
  }

  // Bearer tokens (jwt mode): none until the server asks for one, then the
  // cached one on every request. One acquisition at a time is shared by every
  // request waiting for it; a failed one is not cached, so the next user action
  // tries again (no loop: each request asks at most once).
  let token: string | undefined;
  let pending: Promise<string> | undefined;

  function acquireToken(stale: string | undefined): Promise<string> {
    if (token !== undefined && token !== stale) return Promise.resolve(token);
    if (pending) return pending;
    const source = options.accessToken;
    if (!source) return Promise.reject(new AuthError('The TOA server asks for a sign-in, which this client cannot do.'));
    token = undefined;
    const acquisition = (async () => {
      try {
        const fresh = await source();
        token = fresh;
        return fresh;
      } catch (error) {
        throw new AuthError(error instanceof Error ? error.message : `Signing in to TOA failed: ${String(error)}`, { cause: error });
      } finally {
        pending = undefined;
      }
    })();
    pending = acquisition;
    return acquisition;
  }

  function authHeaders(bearer: string | undefined): Record<string, string> {
    return bearer === undefined ? identityHeaders() : { Authorization: `Bearer ${bearer}` };
  }

  /**
   * Sends once with the cached token (or the dev identity). A 401 with a Bearer
   * challenge gets a token and the request is sent once more: when none was sent,
   * or when the one sent was refused as `invalid_token` (expired, say). Without a
   * Bearer challenge (dev mode) the answer is returned as it is.
   */
  async function authorized(sendWith: (headers: Record<string, string>) => Promise<RawAnswer>): Promise<RawAnswer> {
    const sent = token;
    const answer = await sendWith(authHeaders(sent));
    const challenge = bearerChallenge(answer);
    if (!challenge || !options.accessToken) return answer;
    if (sent !== undefined && challenge.error !== 'invalid_token') return refused(answer);
    const fresh = await acquireToken(sent);
    const again = await sendWith(authHeaders(fresh));
    return bearerChallenge(again) ? refused(again) : again;
  }

  async function once<T>(request: RequestOptions<T>): Promise<T> {
    const answer = await authorized(async (auth) => {
      const headers: Record<string, string> = { Accept: 'application/json', ...auth };
      if (request.body !== undefined) headers['Content-Type'] = 'application/json';
      return fetchAnswer(baseUrl + request.path, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: request.signal,
      });
    });
    return parseResponse(answer, request.schema);
  }

  function send<T>(request: RequestOptions<T>): Promise<T> {
    return withRetries(() => once(request), request.idempotent, request);
  }

  function upload(
    path: string,
    file: { blob: Blob; filename: string },
    call: CallOptions & { onProgress?: (progress: UploadProgress) => void },
  ): Promise<AddPageResponse> {
    const { onProgress, signal } = call;
    const sendOnce = () =>
      authorized((auth) => uploadOnce(path, file, auth, onProgress, signal)).then((answer) => parseResponse(answer, addPageResponseSchema));
    return withRetries(sendOnce, false, call);
  }

  function uploadOnce(
    path: string,
    file: { blob: Blob; filename: string },
    auth: Record<string, string>,
    onProgress?: (progress: UploadProgress) => void,
    signal?: AbortSignal,
  ): Promise<RawAnswer> {
    // fetch cannot report upload progress; XMLHttpRequest can, where there is one (not in a service worker or Node).
    if (typeof XMLHttpRequest === 'undefined') return uploadWithFetch(path, file, auth, onProgress, signal);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
        return;
      }
      const xhr = new XMLHttpRequest();
      xhr.open('POST', baseUrl + path);
      xhr.setRequestHeader('Accept', 'application/json');
      for (const [name, value] of Object.entries(auth)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress?.({ loaded: event.loaded, total: event.total });
      };
      xhr.onload = () =>
        resolve({
          status: xhr.status,
          contentType: xhr.getResponseHeader('Content-Type'),
          challenge: xhr.getResponseHeader('WWW-Authenticate'),
          retryAfter: xhr.getResponseHeader('Retry-After'),
          text: xhr.responseText,
        });
      xhr.onerror = () => reject(new NetworkError('The upload was interrupted.'));
      xhr.ontimeout = () => reject(new NetworkError('The upload timed out.'));
      xhr.onabort = () => reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
      signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      xhr.send(uploadForm(file));
    });
  }

  /** The upload without XMLHttpRequest: progress is reported once, when the body has been sent. */
  async function uploadWithFetch(
    path: string,
    file: { blob: Blob; filename: string },
    auth: Record<string, string>,
    onProgress?: (progress: UploadProgress) => void,
    signal?: AbortSignal,
  ): Promise<RawAnswer> {
    const init = { method: 'POST', headers: { Accept: 'application/json', ...auth }, body: uploadForm(file), signal };
    const answer = await fetchAnswer(baseUrl + path, init, 'The upload was interrupted.');
    onProgress?.({ loaded: file.blob.size, total: file.blob.size });
    return answer;
  }

  return {
    me: () => send({ method: 'GET', path: paths.me(), schema: meSchema, idempotent: true }),
    domains: () => send({ method: 'GET', path: paths.domains(), schema: domainsResponseSchema, idempotent: true }),
    templates: (domain) => send({ method: 'GET', path: paths.templates(domain), schema: templatesResponseSchema, idempotent: true }),
    lastValues: (domain) => send({ method: 'GET', path: paths.lastValues(domain), schema: lastValuesResponseSchema, idempotent: true }),
    listImports: (domain, query = {}, call = {}) => {
      const params = new URLSearchParams();
      if (query.messageId) params.set('messageId', query.messageId);
      if (query.limit !== undefined) params.set('limit', String(query.limit));
      if (query.offset !== undefined) params.set('offset', String(query.offset));
      const search = params.size > 0 ? `?${params}` : '';
      return send({ method: 'GET', path: paths.imports(domain) + search, schema: listImportsResponseSchema, idempotent: true, ...call });
    },
    getImport: (domain, id, call) => send({ method: 'GET', path: paths.import(domain, id), schema: importSchema, idempotent: true, ...call }),
    createImport: (domain, body, call) => send({ method: 'POST', path: paths.imports(domain), schema: importSchema, body, idempotent: false, ...call }),
    suggestions: (domain, body, call) =>
      send({ method: 'POST', path: paths.suggestions(domain), schema: suggestionsResponseSchema, body, idempotent: true, ...call }),
    deleteImport: async (domain, id, call) => {
      await send({ method: 'DELETE', path: paths.import(domain, id), idempotent: false, ...call });
    },
    uploadPage: (domain, id, n, file, call = {}) => upload(paths.pages(domain, id, n), file, call),
    pageMeta: (domain, id, n, m, call) => send({ method: 'GET', path: paths.pageMeta(domain, id, n, m), schema: sidecarSchema, idempotent: true, ...call }),
    extract: (domain, id, n, m, partIds, call) =>
      send({
        method: 'POST',
        path: paths.extract(domain, id, n, m),
        schema: documentSchema,
        body: { attachments: partIds },
        idempotent: false,
        ...call,
      }),
    updateDocument: (domain, id, n, body, call) =>
      send({ method: 'PUT', path: paths.document(domain, id, n), schema: documentSchema, body, idempotent: true, ...call }),
    submit: (domain, id, call) => send({ method: 'POST', path: paths.submit(domain, id), schema: importSchema, idempotent: true, ...call }),
  };
}

/** The multipart body of a page upload. */
function uploadForm(file: { blob: Blob; filename: string }): FormData {
  const form = new FormData();
  form.append(PAGE_UPLOAD_FIELD, file.blob, file.filename);
  return form;
}

/** One fetch, its answer read whole. No answer at all is a NetworkError; an abort stays the abort. */
async function fetchAnswer(url: string, init: RequestInit, failure?: string): Promise<RawAnswer> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new NetworkError(failure, { cause: error });
  }
  return {
    status: response.status,
    contentType: response.headers.get('Content-Type'),
    challenge: response.headers.get('WWW-Authenticate'),
    retryAfter: response.headers.get('Retry-After'),
    text: await response.text(),
  };
}

/** One HTTP answer, before it is parsed. */
interface RawAnswer {
  status: number;
  contentType: string | null;
  /** the `WWW-Authenticate` header */
  challenge: string | null;
  /** the `Retry-After` header */
  retryAfter: string | null;
  text: string;
}

/** The RFC 6750 challenge of a 401 (`Bearer realm="toa", error="invalid_token"`), or undefined for any other answer. */
function bearerChallenge(answer: RawAnswer): { error: string | undefined } | undefined {
  if (answer.status !== 401 || !answer.challenge || !/^\s*Bearer(\s|$)/i.test(answer.challenge)) return undefined;
  return { error: /\berror="([^"]*)"/i.exec(answer.challenge)?.[1] };
}

/** The server refused the token it asked for: a new attempt would not help without someone acting. */
function refused(answer: RawAnswer): never {
  const problem = toProblem(answer.status, parseJson(answer.text, answer.contentType), answer.text);
  throw new AuthError(
    `The TOA server did not accept your sign-in (${problem.detail || problem.title}). Try again; if it keeps failing, ask your TOA administrator.`,
    { cause: new ApiError(problem) },
  );
}

function parseResponse<T>({ status, contentType, text, retryAfter }: RawAnswer, schema?: z.ZodMiniType<T>): T {
  const json = parseJson(text, contentType);
  if (status < 200 || status >= 300) throw new ApiError(toProblem(status, json, text), { retryAfterMs: retryAfterMs(retryAfter) });
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError({
      type: 'about:blank',
      title: 'Unexpected answer from the server',
      status,
      detail: `The server's answer does not match the API contract: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      code: 'INTERNAL',
    });
  }
  return parsed.data;
}

function parseJson(text: string, contentType: string | null): unknown {
  if (!text || !/json/i.test(contentType ?? 'json')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A problem from the body, or one made up from the status when a proxy answered with HTML. */
function toProblem(status: number, json: unknown, text: string): Problem {
  const parsed = problemSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const code: Problem['code'] =
    status === 404 ? 'NOT_FOUND' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 429 ? 'RATE_LIMITED' : status >= 500 ? 'UNAVAILABLE' : 'INTERNAL';
  const detail = status >= 502 && status <= 504 ? 'The TOA server is not reachable right now.' : text.trim().slice(0, 200) || `The server answered ${status}.`;
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail, code };
}
