/**
 * What the flow's node tests share: the real server (`toa-server serve` on a
 * loopback port, SPEC §13.2's invoice template and a "Scanned document"
 * template, the filesystem archive), the typed client signed in as a dev
 * user, corpus messages behind message handles, and a context that records
 * the flow's events.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Template } from '@toa/api/templates';
import { afterAll, beforeAll } from 'vitest';
import { type CorpusMessage, corpusMessage } from '../../test/e2e/support/corpus-message';
import { corpusDir } from '../../test/e2e/support/paths';
import { type ApiClient, createApiClient } from '../lib/api-client';
import type { MessageDraft } from '../lib/drafts';
import { MemoryStorage } from './memory-storage';
import { type HeldMessage, heldMessage } from './message-handle';
import { type Attempt, draftStore, newAttempt, type ProgressStore } from '../features/import-flow/flow/attempt';
import type { FlowContext, FlowEvent } from '../features/import-flow/flow/events';

import { type ArchiveSetting, startToaServer, type ToaServer } from '../../test/e2e/support/toa-server';

export { DOMAIN } from '../../test/e2e/support/toa-server';

export interface FlowServer {
  server: ToaServer;
  /** the typed client, signed in as a dev user of the domain */
  client: ApiClient;
  /** the domain's templates as the server serves them */
  templates: Template[];
}

/** Starts the real server before the file's tests (or the describe block's) and stops it after them; read the fields inside tests. */
export function withFlowServer(archive?: () => ArchiveSetting): FlowServer {
  const running = {} as FlowServer;
  beforeAll(async () => {
    running.server = await startToaServer(archive ? { archive: archive() } : {});
    running.client = clientFor(running.server.url);
    running.templates = (await running.client.templates('acme')).templates;
  });
  afterAll(() => running.server?.stop());
  return running;
}

export function clientFor(url: string): ApiClient {
  return createApiClient({ baseUrl: url, identity: () => ({ email: 'dana@acme.example', name: 'Dana Novak' }), retry: { attempts: 1, baseDelayMs: 1 } });
}

/** A corpus message as Outlook lists it, behind an in-memory handle. */
export function heldCorpusMessage({ outlook, eml }: CorpusMessage): HeldMessage {
  return heldMessage(
    {
      itemId: outlook.itemId,
      internetMessageId: outlook.internetMessageId,
      subject: outlook.subject,
      fromName: outlook.from.displayName,
      fromAddress: outlook.from.emailAddress,
      receivedAt: outlook.dateTimeCreated,
      attachments: outlook.attachments.map((a) => ({ ...a, isItem: false })),
      protection: undefined,
    },
    eml,
  );
}

/** A real message with one PDF (`broken.pdf`), as Outlook lists it. */
export function pdfMessage(internetMessageId = '<xxxx@xxxx.com>'): HeldMessage {
  return heldCorpusMessage(
    corpusMessage('mikel-mail/attachment_emails/attachment_pdf.eml', {
      itemId: 'AAMkItem-attachment-pdf',
      internetMessageId,
      subject: 'Another PDF',
      from: { displayName: 'Test Tester', emailAddress: 'xxxx@xxxx.com' },
      dateTimeCreated: '2005-05-10T17:26:39.000Z',
      attachments: ['broken.pdf'],
    }),
  );
}

/** A real message with two PDFs side by side (`invoice-a.pdf`, `invoice-b.pdf`): extracting the first renumbers the second. */
export function twoPdfMessage(): HeldMessage {
  const eml = readFileSync(path.join(corpusDir, 'reported', '08-apple-mail-inline-pdf.eml'));
  const pdf = (id: string, name: string) => ({ id, name, contentType: 'application/pdf', size: 400, isInline: false, isItem: false });
  return heldMessage(
    {
      itemId: 'AAMkItem-two-pdfs',
      internetMessageId: '<a4d9c31519ab.hunt@example.com>',
      subject: 'Apple Mail inline PDFs',
      fromName: 'Example Sender',
      fromAddress: 'sender@example.com',
      receivedAt: '2026-11-03T09:15:00.000Z',
      attachments: [pdf('att-a', 'invoice-a.pdf'), pdf('att-b', 'invoice-b.pdf')],
      protection: undefined,
    },
    eml,
  );
}

/** Invoice values the template accepts. */
export const VALID_INVOICE = { supplier: 'Test Tester', invoiceDate: '2005-05-10', department: 'FIN', confidential: false };

/** A filled-in draft: the invoice for the message, "Scanned document" for each attachment to extract. */
export function draftFor(extract: Record<string, string> = {}): MessageDraft {
  const attachments = Object.fromEntries(Object.entries(extract).map(([id, title]) => [id, { extract: true, templateId: 'scan', values: { title } }]));
  return { domain: 'acme', message: { templateId: 'invoice', values: VALID_INVOICE }, attachments, savedAt: 0 };
}

export interface Recorded {
  ctx: FlowContext;
  events: FlowEvent[];
  store: ProgressStore;
}

/** A context over `client` whose events are recorded, with its own progress store (drafts in memory) and polls without pauses. */
export function recordedContext(client: ApiClient, extra: Partial<FlowContext> = {}): Recorded {
  const events: FlowEvent[] = [];
  const store = draftStore(new MemoryStorage());
  return { events, store, ctx: { client, store, emit: (event) => events.push(event), polling: { intervalMs: 0 }, ...extra } };
}

export function attemptFor(message: HeldMessage, domain = 'acme'): Attempt {
  return newAttempt(domain, message);
}
