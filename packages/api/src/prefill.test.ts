import { describe, expect, it } from 'vitest';
import { validateAttributes } from './attributes.js';
import { initialAttributes } from './prefill.js';
import { templateSchema } from './templates.js';

const template = templateSchema.parse({
  id: 'invoice',
  name: 'Incoming invoice',
  attributes: [
    { id: 'supplier', label: 'Supplier', type: 'text', required: true, maxLength: 5, prefill: 'fromName' },
    { id: 'sender', label: 'Sender address', type: 'text', prefill: 'fromAddress' },
    { id: 'title', label: 'Title', type: 'text', prefill: 'subject', default: 'Untitled' },
    { id: 'received', label: 'Received', type: 'date', prefill: 'receivedDate' },
    { id: 'receivedText', label: 'Received (text)', type: 'text', prefill: 'receivedDate' },
    { id: 'amount', label: 'Amount', type: 'number', default: 0 },
    { id: 'confidential', label: 'Confidential', type: 'boolean', default: false },
    {
      id: 'department',
      label: 'Department',
      type: 'choice',
      default: 'HR',
      options: [
        { value: 'FIN', label: 'Finance' },
        { value: 'HR', label: 'Human resources' },
      ],
    },
    { id: 'note', label: 'Note', type: 'text' },
    { id: 'caseNumber', label: 'Case number', type: 'text', serverGenerated: true, prefill: 'subject' },
  ],
});

const facts = {
  subject: '  Invoice 2024/17  ',
  fromName: 'Zoë Ångström',
  fromAddress: 'zoe@acme.example',
  // 23:30 UTC on 31 Dec is already 1 Jan in Prague and still 31 Dec in New York.
  receivedAt: '2023-12-31T23:30:00Z',
};

describe('initialAttributes', () => {
  it('fills from the message, falls back to defaults and omits the rest', () => {
    expect(initialAttributes(template, facts, 'Europe/Prague')).toEqual({
      supplier: 'Zoë Å',
      sender: 'zoe@acme.example',
      title: 'Invoice 2024/17',
      received: '2024-01-01',
      receivedText: '2024-01-01',
      amount: 0,
      confidential: false,
      department: 'HR',
    });
  });

  it('computes the received date in the given zone', () => {
    expect(initialAttributes(template, facts, 'America/New_York').received).toBe('2023-12-31');
    expect(initialAttributes(template, facts, 'UTC').received).toBe('2023-12-31');
    expect(initialAttributes(template, { receivedAt: '2024-06-30T22:15:00+00:00' }, 'Asia/Tokyo').received).toBe('2024-07-01');
  });

  it('uses the default when the message lacks the fact, and nothing when there is no default', () => {
    const values = initialAttributes(template, { subject: '   ' }, 'UTC');
    expect(values.title).toBe('Untitled');
    expect(values).not.toHaveProperty('supplier');
    expect(values).not.toHaveProperty('received');
  });

  it('takes the sender address for the name when the sender has no display name', () => {
    expect(initialAttributes(template, { fromAddress: 'a@b.example' }, 'UTC').supplier).toBe('a@b.e');
  });

  it('truncates prefilled text to maxLength in code points', () => {
    expect(initialAttributes(template, { fromName: '😀😀😀😀😀😀' }, 'UTC').supplier).toBe('😀😀😀😀😀');
  });

  it('ignores an unreadable received time', () => {
    expect(initialAttributes(template, { receivedAt: 'yesterday' }, 'UTC')).not.toHaveProperty('received');
  });

  it('never fills a server-generated attribute, even with a prefill', () => {
    expect(initialAttributes(template, facts, 'UTC')).not.toHaveProperty('caseNumber');
  });

  it('does not put a message fact into a type it cannot fit', () => {
    const odd = templateSchema.parse({
      id: 'odd',
      name: 'Odd',
      attributes: [
        { id: 'when', label: 'When', type: 'date', prefill: 'subject' },
        { id: 'count', label: 'Count', type: 'number', prefill: 'subject', default: 1 },
      ],
    });
    expect(initialAttributes(odd, { subject: 'hello' }, 'UTC')).toEqual({ count: 1 });
  });

  it('starts a form that the shared rules accept', () => {
    expect(validateAttributes(template, initialAttributes(template, facts, 'Europe/Prague'))).toEqual([]);
  });

  it('refuses an unknown time zone', () => {
    expect(() => initialAttributes(template, facts, 'Mars/Olympus')).toThrow(RangeError);
  });
});
