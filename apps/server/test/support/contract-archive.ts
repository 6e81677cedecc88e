import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import express, { type Request, type Response } from 'express';
import multer from 'multer';
import { type UploadManifest, uploadManifestSchema } from '../../src/archive/manifest.js';

/** An answer, or `drop`: close the connection without one. */
type Answer = { status: number; body: Record<string, unknown> } | 'drop';

/** One batch the archive stored. */
export interface StoredBatch {
  batchId: string;
  idempotencyKey: string;
  manifest: UploadManifest;
  /** page bytes by multipart field name (the manifest's `file`) */
  files: Map<string, Buffer>;
}

/**
 * A remote archive on loopback that keeps the contract of docs/archive.md,
 * "The HTTP archive contract": a multipart batch checked against its manifest
 * (422 on a mismatch), at most one batch per `Idempotency-Key`, a repeated
 * key with the same documents answered with the first batch id, a repeated
 * key with other documents refused with 422, a new key stored as a new batch.
 *
 * `loseAnswers(n)` makes it store the next `n` batches and then drop the
 * connection instead of answering: the uncertain failure a client cannot
 * tell apart from a batch that never arrived. `stall(true)` makes it take
 * every request and never answer (until stopped): an archive that hangs.
 */
export class ContractArchive {
  readonly batches: StoredBatch[] = [];
  url = '';
  private server: Server | undefined;
  private answersToLose = 0;
  private stalling = false;
  private nextBatch = 1001;

  async start(): Promise<void> {
    const app = express();
    const upload = multer({ storage: multer.memoryStorage() }).any();
    app.post('/upload', (req, res) => {
      // a hung archive: the request is taken, nothing is ever answered
      if (this.stalling) return;
      upload(req, res, (error: unknown) => {
        if (error) {
          this.answer(req, res, { status: 400, body: { title: 'Bad Request', detail: 'the body is not a readable multipart batch' } });
          return;
        }
        this.answer(req, res, this.receive(req));
      });
    });
    this.server = app.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/upload`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  stall(on: boolean): void {
    this.stalling = on;
  }

  loseAnswers(count: number): void {
    this.answersToLose = count;
  }

  /** The stored batch of a batch id, as the archive's own users would look it up. */
  batch(batchId: string | undefined): StoredBatch | undefined {
    return this.batches.find((b) => b.batchId === batchId);
  }

  /** What the contract says to answer this request; stores the batch when it is new. */
  private receive(req: Request): Answer {
    const key = req.get('idempotency-key');
    if (!key) return { status: 400, body: { title: 'Bad Request', detail: 'the Idempotency-Key header is missing' } };
    const parsed = uploadManifestSchema.safeParse(parseJson((req.body as Record<string, unknown>).manifest));
    if (!parsed.success) return { status: 422, body: { title: 'Unprocessable Content', detail: 'the manifest is not valid' } };
    const manifest = parsed.data;
    const files = new Map((req.files as Express.Multer.File[]).map((file) => [file.fieldname, file.buffer]));
    for (const document of manifest.documents) {
      for (const page of document.pages) {
        const bytes = files.get(page.file);
        if (!bytes || bytes.length !== page.size || createHash('sha256').update(bytes).digest('hex') !== page.sha256) {
          return { status: 422, body: { title: 'Unprocessable Content', detail: `the part ${page.file} does not match the manifest` } };
        }
      }
    }
    const earlier = this.batches.find((b) => b.idempotencyKey === key);
    if (earlier) {
      if (earlier.manifest.importId !== manifest.importId || !isDeepStrictEqual(earlier.manifest.documents, manifest.documents)) {
        return { status: 422, body: { title: 'Unprocessable Content', detail: 'this Idempotency-Key was used for other content' } };
      }
      return { status: 200, body: { batchId: earlier.batchId } };
    }
    const stored: StoredBatch = { batchId: `B-${this.nextBatch++}`, idempotencyKey: key, manifest, files };
    this.batches.push(stored);
    if (this.answersToLose > 0) {
      this.answersToLose -= 1;
      return 'drop';
    }
    return { status: 201, body: { batchId: stored.batchId } };
  }

  private answer(req: Request, res: Response, answer: Answer): void {
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    const { status, body } = answer;
    const problem = status >= 400;
    res
      .status(status)
      .type(problem ? 'application/problem+json' : 'application/json')
      .send(JSON.stringify(problem ? { status, ...body } : body));
  }
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
