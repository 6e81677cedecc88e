import { rm } from 'node:fs/promises';
import { MESSAGE_CONTENT_TYPE } from '@toa/api/imports';
import { PAGE_UPLOAD_FIELD } from '@toa/api/routes';
import type { Request, Response } from 'express';
import multer, { type StorageEngine } from 'multer';
import type { Limits } from '../config/schema.js';
import { safeFilename } from '../mail/attachment-filename.js';
import { AppError } from '../errors.js';
import { cleanMediaType, UNKNOWN_MEDIA_TYPE } from '../media-type.js';
import type { StagedUpload } from '../storage/domain-storage.js';
import { writeNewFileDurable } from '../fs/durable-stream.js';

declare global {
  namespace Express {
    interface Request {
      /** where the page body of this request streams to (set before multer runs) */
      uploadTmpPath?: string;
      /** the engine's write of that body, settled once its file is complete or removed */
      uploadWrite?: Promise<unknown>;
      pageSizeLimit?: string;
    }
  }
}

/**
 * Streams the one file part straight to the temporary the storage chose,
 * hashing on the way and flushing at the end; the body is never held in
 * memory. Removal on any failure is multer's contract with the engine.
 */
const tmpFileEngine: StorageEngine = {
  _handleFile(req, file, callback) {
    const target = req.uploadTmpPath;
    if (!target) {
      callback(new Error('no upload target was prepared'));
      return;
    }
    const write = writeNewFileDurable(target, [file.stream]);
    req.uploadWrite = write;
    write.then(
      (digest) => callback(null, { path: target, ...digest }),
      (error: unknown) => callback(error as Error),
    );
  },
  _removeFile(_req, file, callback) {
    rm(file.path, { force: true }).then(() => callback(null), callback);
  },
};

/** Filenames are metadata only: the same cleaning as attachment names, with a fallback. */
export function cleanFilename(raw: string | undefined): string {
  return safeFilename(raw) ?? 'page.bin';
}

/** The declared type, cleaned; an `.eml` sent without a useful type is taken for the message it is named as. */
export function cleanContentType(raw: string | undefined, filename: string): string {
  const type = cleanMediaType(raw);
  return type === UNKNOWN_MEDIA_TYPE && /\.eml$/i.test(filename) ? MESSAGE_CONTENT_TYPE : type;
}

export function createPageReceiver(limits: Limits) {
  const fileSize = Math.floor(limits.pageSizeMb * 1024 * 1024);
  const middleware = multer({
    storage: tmpFileEngine,
    // filenames from browsers are UTF-8; busboy's default would read them as Latin-1
    defParamCharset: 'utf8',
    limits: { fileSize, files: 1, fields: 5, parts: 6, fieldNameSize: 100, fieldSize: 8 * 1024, headerPairs: 50 },
  }).single(PAGE_UPLOAD_FIELD);

  /** Receives the page body into `tmpPath`; resolves with what was staged, or rejects with nothing left behind. */
  return async function receivePage(req: Request, res: Response, tmpPath: string): Promise<StagedUpload> {
    if (!req.is('multipart/form-data')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `send the page as multipart/form-data with one file field named "${PAGE_UPLOAD_FIELD}"`);
    }
    req.uploadTmpPath = tmpPath;
    req.pageSizeLimit = `${limits.pageSizeMb} MB`;
    // a body that stalls holds a socket and a file: no byte for `bodyIdleSeconds` ends the connection
    let stalled = false;
    req.setTimeout(limits.bodyIdleSeconds * 1000, () => {
      stalled = true;
      req.destroy();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
      });
    } catch (error) {
      // multer reports a broken body as soon as busboy does, possibly while the write is still
      // opening or removing the file: the answer waits until nothing is left behind
      await req.uploadWrite?.catch(() => undefined);
      await rm(tmpPath, { force: true });
      if (stalled) throw new AppError('BODY_TIMEOUT', `no byte of the body arrived for ${limits.bodyIdleSeconds} s`, { cause: error });
      throw error;
    } finally {
      // parsing what arrived may take a while with the socket quiet
      req.setTimeout(0);
    }
    const file = req.file as (Express.Multer.File & { sha256: string }) | undefined;
    if (!file) throw new AppError('VALIDATION_FAILED', `the body has no file in the field "${PAGE_UPLOAD_FIELD}"`);
    const filename = cleanFilename(file.originalname);
    return { tmpPath, filename, contentType: cleanContentType(file.mimetype, filename), size: file.size, sha256: file.sha256 };
  };
}
