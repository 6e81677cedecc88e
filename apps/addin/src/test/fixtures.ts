import type { ImportSummary } from '@toa/api/imports';
import type { Template } from '@toa/api/templates';
import { SPEC_INVOICE } from '@toa/fixtures/catalogue';

/** The invoice template of SPEC §13.2, as the API serves it. */
export const INVOICE: Template = SPEC_INVOICE;

export const LETTER: Template = {
  id: 'letter',
  name: 'Letter',
  attributes: [{ id: 'title', label: 'Title', type: 'text', required: true, prefill: 'subject', serverGenerated: false }],
};

/** A listing summary of an earlier import of a message: submitted on 1 October unless told otherwise. */
export function earlierImport(internetMessageId: string | undefined, extra: Partial<ImportSummary> = {}): ImportSummary {
  const createdAt = extra.createdAt ?? '2026-10-01T09:00:00.000Z';
  return {
    id: '2026-10-01_0900-00000001',
    domain: 'acme',
    status: 'SUBMITTED',
    createdAt,
    updatedAt: createdAt,
    source: { internetMessageId },
    documentCount: 1,
    pageCount: 1,
    ...extra,
  };
}
