import { MESSAGE_CONTENT_TYPE } from '@toa/api/imports';
import { PAGE_UPLOAD_FIELD } from '@toa/api/routes';
import type { Request, Response } from 'express';
import multer, { type StorageEngine } from 'multer';
import type { Limits } from '../config/schema.js';
import { safeFilename } from '../mail/attachment-filename.js';
import { AppError } from '../errors.js';
import { cleanMediaType, UNKNOWN_MEDIA_TYPE } from '../media-type.js';
import type { PageSink, StagedPage } from '../storage/domain-storage.js';

declare global {
  namespace Express {
    interface Request {
      /** where the page body of this request goes (set before multer runs) */
      pageSink?: PageSink;
      /** the sink's staging of that body, settled once it is complete or gone */
      uploadWrite?: Promise<StagedPage>;
      pageSizeLimit?: string;
    }
    namespace Multer {
      interface File {
        /** the body as storage staged it (set by the page engine) */
        staged?: StagedPage;
      }
    }
  }
}

/**
 * Hands the one file part's stream straight to the request's sink (storage),
 * so the body is never held in memory. Removal of what was staged, when the
 * request fails after it, is multer's contract with the engine.
 */
const sinkEngine: StorageEngine = {
  _handleFile(req, file, callback) {
    const sink = req.pageSink;
    if (!sink) {
      callback(new Error('no page sink was prepared'));
      return;
    }
    const filename = cleanFilename(file.originalname);
    const write = sink(file.stream, { filename, contentType: cleanContentType(file.mimetype, filename) });
    req.uploadWrite = write;
    write.then(
      (staged) => callback(null, { staged, size: staged.size }),
      (error: unknown) => callback(error as Error),
    );
  },
  _removeFile(_req, file, callback) {
    (file.staged?.discard() ?? Promise.resolve()).then(() => callback(null), callback);
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
    storage: sinkEngine,
    // filenames from browsers are UTF-8; busboy's default would read them as Latin-1
    defParamCharset: 'utf8',
    limits: { fileSize, files: 1, fields: 5, parts: 6, fieldNameSize: 100, fieldSize: 8 * 1024, headerPairs: 50 },
  }).single(PAGE_UPLOAD_FIELD);

  /** Receives the page body into `sink`; resolves with what was staged, or rejects with nothing left behind. */
  return async function receivePage(req: Request, res: Response, sink: PageSink): Promise<StagedPage> {
    if (!req.is('multipart/form-data')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `send the page as multipart/form-data with one file field named "${PAGE_UPLOAD_FIELD}"`);
    }
    req.pageSink = sink;
    req.pageSizeLimit = `${limits.pageSizeMb} MB`;
    // a body that stalls holds a socket and a file: no byte for `bodyIdleSeconds` ends the connection
    let stalled = false;
    req.setTimeout(limits.bodyIdleSeconds * 1000, () => {
      stalled = true;
      req.destroy();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        // multer never calls back when the client goes away before busboy has a part to fail
        // (the work would then wait forever, and shutdown with it): a closed, incomplete request ends it
        const closedEarly = () => new AppError('VALIDATION_FAILED', 'the client closed the connection before the body was read');
        // it may have gone already, while the route checked the import: nothing of the body can be read then
        if (req.destroyed) {
          reject(closedEarly());
          return;
        }
        const gone = () => {
          if (!req.complete) reject(closedEarly());
        };
        req.once('close', gone);
        middleware(req, res, (error?: unknown) => {
          req.off('close', gone);
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (error) {
      // multer reports a broken body as soon as busboy does, possibly while the sink is still
      // opening or removing its file: the answer waits until nothing is left behind
      const staged = await req.uploadWrite?.catch(() => undefined);
      await staged?.discard();
      if (stalled) throw new AppError('BODY_TIMEOUT', `no byte of the body arrived for ${limits.bodyIdleSeconds} s`, { cause: error });
      throw error;
    } finally {
      // parsing what arrived may take a while with the socket quiet
      req.setTimeout(0);
    }
    const staged = req.file?.staged;
    if (!staged) throw new AppError('VALIDATION_FAILED', `the body has no file in the field "${PAGE_UPLOAD_FIELD}"`);
    return staged;
  };
}
