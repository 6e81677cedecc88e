import type { Import } from '@toa/api/imports';

/** A valid import.json value of one DRAFT import with one empty document; `overrides` replace whole fields. */
export function anImport(overrides: Partial<Import> = {}): Import {
  return {
    schemaVersion: 1,
    id: '2026-11-30_1240-0a1b2c3d',
    domain: 'acme',
    status: 'DRAFT',
    createdAt: '2026-11-30T12:40:00.000+01:00',
    updatedAt: '2026-11-30T12:40:00.000+01:00',
    userId: 'a@x.example',
    userName: 'A',
    userEmail: 'a@x.example',
    source: { subject: 'Invoice' },
    documents: [{ n: 1, templateId: null, attributes: {}, pages: [] }],
    attempts: [],
    ...overrides,
  };
}
