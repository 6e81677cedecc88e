import type { ImportSummary } from '@toa/api/imports';
import type { Template } from '@toa/api/templates';

/** The invoice template of SPEC §13.2, as the API serves it. */
export const INVOICE: Template = {
  id: 'invoice',
  name: 'Incoming invoice',
  attributes: [
    { id: 'supplier', label: 'Supplier', type: 'text', required: true, maxLength: 100, prefill: 'fromName', serverGenerated: false },
    { id: 'amount', label: 'Amount', type: 'number', required: false, min: 0, serverGenerated: false },
    { id: 'invoiceDate', label: 'Invoice date', type: 'date', required: true, prefill: 'receivedDate', serverGenerated: false },
    {
      id: 'department',
      label: 'Department',
      type: 'choice',
      required: true,
      options: [
        { value: 'FIN', label: 'Finance' },
        { value: 'HR', label: 'Human resources' },
      ],
      serverGenerated: false,
    },
    { id: 'confidential', label: 'Confidential', type: 'boolean', required: false, default: false, serverGenerated: false },
    { id: 'reference', label: 'Reference', type: 'text', required: false, pattern: '[A-Z]{2}-[0-9]{4}', serverGenerated: false },
    { id: 'caseNumber', label: 'Case number', type: 'text', required: false, serverGenerated: true },
  ],
};

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
