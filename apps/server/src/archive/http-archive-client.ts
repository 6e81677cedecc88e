import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { ArchiveConfig } from '../config/schema.js';
import { errnoCode } from '../errors.js';
import { cleanMediaType } from '../media-type.js';
import { type ArchiveBatch, type ArchiveClient, ArchiveError, interruptedError } from './archive-client.js';
import { backoffDelay, retryAfterDelay } from './backoff.js';
import type { ArchiveCallLog } from './call-log.js';
import { describeStatus, readBounded, refusalReason } from './http-answer.js';
import { parseJson } from './json.js';
import { assertValidBatch, buildManifest, damagedPageError, pageFile, type UploadManifest } from './manifest.js';
import { formatDuration } from '../duration.js';

export type HttpArchiveConfig = Extract<ArchiveConfig, { type: 'http' }>;

export interface HttpArchiveDeps {
  callLog: ArchiveCallLog;
  /** where `tokenEnv` is looked up; `process.env` by default */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** the pause between attempts; tests pass one that returns at once */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The only successful answer the contract allows. */
const answerSchema = z.object({ batchId: z.string().min(1).max(200) });
/** A success answer is a few bytes; anything much longer is not one. */
const ANSWER_LIMIT = 64 * 1024;
const REFUSAL_LIMIT = 8 * 1024;

/** What went wrong in one attempt that another attempt may fix. */
interface RetryableFailure {
  /** completes "The archive …" */
  what: string;
  status?: number;
  retryAfterMs?: number;
}

type AttemptOutcome = { batchId: string; status: number } | RetryableFailure;

/**
 * Posts each batch as one multipart request (see docs/archive.md for the
 * contract). The idempotency key names the import's content, so a request
 * retried after a lost answer, or an import resumed after a crash, yields one
 * batch, and content edited after a failure is never answered with the old batch.
 */
export class HttpArchiveClient implements ArchiveClient {
  readonly kind = 'http';
  readonly honoursIdempotencyKey = true;
  /** the URL as logged: without user info, query or fragment, which may hold secrets */
  private readonly target: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly domain: string,
    private readonly config: HttpArchiveConfig,
    private readonly deps: HttpArchiveDeps,
  ) {
    const url = new URL(config.url);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    this.target = url.href;
    this.env = deps.env ?? process.env;
    this.fetch = deps.fetch ?? fetch;
    this.sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  }

  async submit(batch: ArchiveBatch, signal?: AbortSignal): Promise<{ batchId: string }> {
    const failures: RetryableFailure[] = [];
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.loggedAttempt(batch, attempt, signal);
      if ('batchId' in outcome) return { batchId: outcome.batchId };
      failures.push(outcome);
      if (attempt > this.config.retries) throw exhaustedError(failures);
      await this.pause(outcome.retryAfterMs ?? backoffDelay(attempt), signal);
    }
  }

  private async loggedAttempt(batch: ArchiveBatch, attempt: number, signal: AbortSignal | undefined): Promise<AttemptOutcome> {
    const record = this.deps.callLog.begin({
      domain: this.domain,
      importId: batch.importId,
      idempotencyKey: batch.idempotencyKey,
      client: this.kind,
      target: this.target,
      attempt,
    });
    try {
      const outcome = await this.attempt(batch, signal);
      if ('batchId' in outcome) await record({ outcome: 'ok', status: outcome.status, batchId: outcome.batchId });
      else await record({ outcome: 'error', status: outcome.status, error: `The archive ${outcome.what}.` });
      return outcome;
    } catch (error) {
      const failure = toArchiveError(error, signal);
      await record({ outcome: 'error', status: failure.status, error: failure.message });
      throw failure;
    }
  }

  /** One request. Returns what a retry may fix; throws what it cannot. */
  private async attempt(batch: ArchiveBatch, signal: AbortSignal | undefined): Promise<AttemptOutcome> {
    assertValidBatch(batch, this.domain);
    const headers = this.headers(batch);
    const body = await this.form(batch);
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    try {
      const response = await this.fetch(this.config.url, {
        method: 'POST',
        headers,
        body,
        // a redirected upload would have to be sent twice; the configured URL must be the real one
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return await interpret(response);
    } catch (error) {
      if (error instanceof ArchiveError || signal?.aborted) throw error;
      if (timeout.aborted) return { what: `did not answer within ${formatDuration(this.config.timeoutMs)}` };
      return { what: networkFailure(error) };
    }
  }

  private headers(batch: ArchiveBatch): Record<string, string> {
    const headers: Record<string, string> = { 'Idempotency-Key': batch.idempotencyKey, Accept: 'application/json' };
    const variable = this.config.tokenEnv;
    if (variable !== undefined) {
      const token = this.env[variable];
      if (!token) {
        throw new ArchiveError(
          `The archive credentials are missing: the environment variable ${variable} is not set on the server; ask an administrator.`,
          false,
        );
      }
      headers.Authorization = `Bearer ${token}`;
    }
    return headers;
  }

  /** The manifest, then one part per page, each streamed from disk when the request is sent. */
  private async form(batch: ArchiveBatch): Promise<FormData> {
    const manifest: UploadManifest = { ...buildManifest(batch), targetDomain: this.config.targetDomain ?? this.domain };
    const form = new FormData();
    form.append('manifest', JSON.stringify(manifest));
    for (const document of batch.documents) {
      for (const page of document.pages) {
        let blob: Blob;
        try {
          blob = await page.bytes({ type: cleanMediaType(page.contentType) });
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') throw damagedPageError(document.n, page, 'the file is missing', error);
          throw error;
        }
        if (blob.size !== page.size) throw damagedPageError(document.n, page, `${blob.size} bytes instead of ${page.size}`);
        form.append(pageFile(document.n, page), blob, page.filename);
      }
    }
    return form;
  }

  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw interruptedError(error);
      throw error;
    }
    if (signal?.aborted) throw interruptedError(signal.reason);
  }
}

/** 200/201 with a batch id is success; 408, 429 and 5xx may pass on retry; everything else is final. */
async function interpret(response: Response): Promise<AttemptOutcome> {
  const { status } = response;
  if (status >= 200 && status < 300) {
    const answer = answerSchema.safeParse(parseJson(await readBounded(response, ANSWER_LIMIT)));
    if ((status === 200 || status === 201) && answer.success) return { batchId: answer.data.batchId, status };
    throw new ArchiveError(
      `The archive answered ${describeStatus(response)} without a batch id; the batch may or may not be stored, ask an administrator to check the archive.`,
      false,
      { status },
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    await response.body?.cancel();
    const retryAfterMs = retryAfterDelay(response.headers.get('retry-after'));
    return { what: `answered ${describeStatus(response)}`, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status >= 400) {
    const reason = refusalReason(await readBounded(response, REFUSAL_LIMIT), response.headers.get('content-type'));
    const refusal = `The archive refused the batch (${describeStatus(response)})${reason ? `: ${reason}` : ''}`;
    throw new ArchiveError(/[.!?…]$/.test(refusal) ? refusal : `${refusal}.`, false, { status });
  }
  await response.body?.cancel();
  throw new ArchiveError(
    `The archive answered ${describeStatus(response)} instead of taking the batch; ask an administrator to check the archive URL.`,
    false,
    { status },
  );
}

const CONNECTION_DROPPED = 'closed the connection before answering';

/** Words for the usual low-level failures, by the code Node or undici puts on the error's cause. */
const NETWORK_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'could not be reached (connection refused)',
  ENOTFOUND: 'could not be reached (host not found)',
  EAI_AGAIN: 'could not be reached (host not found)',
  ETIMEDOUT: 'could not be reached (connection timed out)',
  UND_ERR_CONNECT_TIMEOUT: 'could not be reached (connection timed out)',
  ECONNRESET: CONNECTION_DROPPED,
  EPIPE: CONNECTION_DROPPED,
  UND_ERR_SOCKET: CONNECTION_DROPPED,
};

/** Completes "The archive …" for an error thrown by `fetch`. */
function networkFailure(error: unknown): string {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = errnoCode(current);
    if (code !== undefined) return NETWORK_FAILURES[code] ?? `could not be reached (${code})`;
  }
  return 'could not be reached (network error)';
}

/** "The archive answered 500 Internal Server Error 3 times; try again later." */
function exhaustedError(failures: RetryableFailure[]): ArchiveError {
  const last = failures.at(-1) as RetryableFailure;
  const count = failures.length;
  const message = failures.every((failure) => failure.what === last.what)
    ? `The archive ${last.what}${count === 1 ? '' : count === 2 ? ' twice' : ` ${count} times`}; try again later.`
    : `The archive failed ${count} attempts (last it ${last.what}); try again later.`;
  return new ArchiveError(message, true, last.status === undefined ? {} : { status: last.status });
}

function toArchiveError(error: unknown, signal: AbortSignal | undefined): ArchiveError {
  if (error instanceof ArchiveError) return error;
  if (signal?.aborted) return interruptedError(error);
  return new ArchiveError(
    `The import could not be read for the archive (${errnoCode(error) ?? 'unexpected error'}); try again later or ask an administrator.`,
    true,
    { cause: error },
  );
}
