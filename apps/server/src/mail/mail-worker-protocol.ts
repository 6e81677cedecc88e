import type { ErrorCode } from '@toa/api/errors';
import { AppError, isAppError } from '../errors.js';
import type { CutPartsArgs, CutPartsResult } from './cut-parts.js';
import type { MessageSummary } from './read-summary.js';

/**
 * What a mail worker is asked to do: one message pass each. `follow`
 * summarizes a file while an upload is still writing it (FollowedFile); its
 * body's end, or its breaking off, comes later as a `BodyMessage`.
 */
export type MailJob = { kind: 'summarize'; file: string } | { kind: 'follow'; file: string } | { kind: 'cut'; args: CutPartsArgs };

export interface MailJobResults {
  summarize: MessageSummary;
  follow: MessageSummary;
  cut: CutPartsResult;
}

export type MailJobResult<J extends MailJob> = MailJobResults[J['kind']];

/** Main thread → worker. */
export interface JobMessage {
  id: number;
  job: MailJob;
}

/** Main thread → worker, about the body a `follow` job reads: it is complete with `size` bytes, or it broke off. */
export type BodyMessage = { id: number; bodySize: number } | { id: number; bodyFailed: string };

/** Worker → main thread: `ready` once its modules are loaded, then one answer per job. */
export type WorkerMessage = { ready: true } | { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

/**
 * An error as it crosses the thread boundary. Structured cloning keeps only
 * an Error's message, so what callers branch on travels explicitly: the
 * AppError code, and the errno fields of a file system error (`ENOENT`,
 * `EEXIST`), which must pass through as they would in one thread.
 */
export type WireError =
  | { kind: 'app'; code: ErrorCode; message: string }
  | { kind: 'system'; message: string; code?: string; errno?: number; syscall?: string; path?: string }
  | { kind: 'other'; message: string };

export function toWireError(error: unknown): WireError {
  if (isAppError(error)) return { kind: 'app', code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  if (typeof error === 'object' && error !== null && 'syscall' in error) {
    const { code, errno, syscall, path } = error as { code?: string; errno?: number; syscall?: string; path?: string };
    return { kind: 'system', message, code, errno, syscall, path };
  }
  return { kind: 'other', message };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case 'app':
      return new AppError(wire.code, wire.message);
    case 'system': {
      const { kind: _kind, message, ...fields } = wire;
      return Object.assign(new Error(message), fields);
    }
    default:
      return new Error(wire.message);
  }
}
