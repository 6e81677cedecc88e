import { pipeline } from 'node:stream';
import { createImportRequestSchema, extractRequestSchema, listImportsQuerySchema, updateDocumentRequestSchema } from '@toa/api/imports';
import { paths, ROUTES } from '@toa/api/routes';
import { suggestionRequestSchema } from '@toa/api/suggestions';
import type { Request, RequestHandler, Router } from 'express';
import { errnoCode } from '../../errors.js';
import { cleanMediaType } from '../../media-type.js';
import type { AppContext } from '../context.js';
import { jsonBody } from '../json-body.js';
import { createPageReceiver } from '../page-upload.js';
import { scope } from '../params.js';
import { UploadSlots } from '../upload-slots.js';

/** Adds the import routes to `router` (the API's, mounted at /api): its own layers, not a nested router a request walks through. */
export function importRoutes(router: Router, ctx: AppContext): void {
  const receivePage = createPageReceiver(ctx.config.limits);
  // routes that store new content are refused below the free-space reserve, before any body is read
  const room: RequestHandler = async (_req, _res, next) => {
    await ctx.freeSpace.assertRoom();
    next();
  };
  const uploads = new UploadSlots(ctx.config.limits.uploadsPerUser);

  router.post(ROUTES.imports, room, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    const body = createImportRequestSchema.parse(jsonBody(req) ?? {});
    const created = await ctx.imports.create(identity, domain, body.source);
    res.status(201).location(paths.import(domain, created.id)).json(created);
  });

  router.post(ROUTES.suggestions, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    res.json(await ctx.imports.suggest(identity, domain, suggestionRequestSchema.parse(jsonBody(req) ?? {})));
  });

  router.get(ROUTES.lastValues, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    res.json(await ctx.imports.lastValues(identity, domain));
  });

  router.get(ROUTES.imports, async (req, res) => {
    const { identity, domain } = scope(ctx, req);
    const { items, total, limit, offset } = await ctx.imports.list(identity, domain, listImportsQuerySchema.parse(req.query));
    // `ListImportsResponse` put together from lines serialised once, not stringified whole on every request
    res.type('json').send(`{"items":[${items.join(',')}],"total":${total},"limit":${limit},"offset":${offset}}`);
  });

  router.get(ROUTES.import, async (req, res) => {
    const { identity, domain, id } = scope(ctx, req);
    res.json(await ctx.imports.get(identity, domain, id));
  });

  router.delete(ROUTES.import, async (req, res) => {
    const { identity, domain, id } = scope(ctx, req);
    await ctx.imports.delete(identity, domain, id);
    res.status(204).end();
  });

  router.post(ROUTES.submit, async (req, res) => {
    const { identity, domain, id } = scope(ctx, req);
    res.status(202).json(await ctx.imports.submit(identity, domain, id));
  });

  // Mutations check existence, ownership and state before the body (the service's `editableBy`);
  // routes that parse a body ask for those checks first.
  router.put(ROUTES.document, room, async (req, res) => {
    const { identity, domain, id, n } = scope(ctx, req);
    await ctx.imports.checkEditable(identity, domain, id, { n });
    res.json(await ctx.imports.updateDocument(identity, domain, id, n, updateDocumentRequestSchema.parse(jsonBody(req))));
  });

  router.delete(ROUTES.document, async (req, res) => {
    const { identity, domain, id, n } = scope(ctx, req);
    await ctx.imports.deleteDocument(identity, domain, id, n);
    res.status(204).end();
  });

  router.post(ROUTES.pages, room, async (req, res) => {
    const { identity, domain, id, n } = scope(ctx, req);
    const release = uploads.acquire(identity.userId);
    const { page, meta } = await ctx.imports.addPage(identity, domain, id, n, declaredLength(req), (sink) => receivePage(req, res, sink)).finally(release);
    ctx.metrics.pageStored(page.size);
    res.status(201).json(meta ? { ...page, meta } : page);
  });

  router.get(ROUTES.page, async (req, res) => {
    const { identity, domain, id, n, m } = scope(ctx, req);
    const { page, size, body } = await ctx.imports.page(identity, domain, id, n, m);
    try {
      res.attachment(page.filename);
      // stored types may predate the cleaning, or have been edited by hand: a header must never throw
      res.setHeader('Content-Type', cleanMediaType(page.contentType));
      res.setHeader('Content-Length', String(size));
      // the hash vouches for the bytes only when they are the ones listed (storage logs a mismatch for fsck)
      if (size === page.size) res.setHeader('ETag', `"${page.sha256}"`);
      // pages are whatever users uploaded: never sniffed, never run as a page of this origin
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    } catch (error) {
      body.destroy();
      throw error;
    }
    // pipeline, not pipe: a client that goes away destroys the file stream, closing the page file at once
    pipeline(body, res, (error) => {
      if (error && errnoCode(error) !== 'ERR_STREAM_PREMATURE_CLOSE') req.log.error({ err: error }, 'a page download broke off');
    });
  });

  router.get(ROUTES.pageMeta, async (req, res) => {
    const { identity, domain, id, n, m } = scope(ctx, req);
    res.json(await ctx.imports.meta(identity, domain, id, n, m));
  });

  router.post(ROUTES.extract, room, async (req, res) => {
    const { identity, domain, id, n, m } = scope(ctx, req);
    await ctx.imports.checkEditable(identity, domain, id, { n, m });
    const body = extractRequestSchema.parse(jsonBody(req) ?? {});
    res.status(201).json(await ctx.imports.extract(identity, domain, id, n, m, body.attachments));
  });
}

/** The request's Content-Length, or undefined when it declares none (a chunked body). */
function declaredLength(req: Request): number | undefined {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}
