import { describe, expect, it } from 'vitest';
import { INVOICE, LETTER } from '../test/fixtures';
import { lastUsedDefaults, prefillForTemplate, toAttributes, toAttributeValue, validateDocument } from './attribute-values';

const attribute = (id: string) => {
  const found = INVOICE.attributes.find((a) => a.id === id);
  if (!found) throw new Error(`no attribute ${id}`);
  return found;
};

describe('attribute values in the form', () => {
  it('reads typed text by the type: numbers as decimals, blank as no value, text as typed', () => {
    expect(toAttributeValue(attribute('amount'), ' 12.5 ')).toBe(12.5);
    expect(toAttributeValue(attribute('amount'), '1e3')).toBe(1000);
    // not a number: the text itself, so the rules say what is wrong with it
    expect(toAttributeValue(attribute('amount'), '0x10')).toBe('0x10');
    expect(toAttributeValue(attribute('amount'), '  ')).toBeUndefined();
    expect(toAttributeValue(attribute('supplier'), ' ACME ')).toBe(' ACME ');
    expect(toAttributeValue(attribute('supplier'), ' \t')).toBeUndefined();
    expect(toAttributeValue(attribute('invoiceDate'), ' 2026-11-30 ')).toBe('2026-11-30');
    // an untouched checkbox is unticked
    expect(toAttributeValue(attribute('confidential'), undefined)).toBe(false);
    expect(toAttributeValue(attribute('confidential'), true)).toBe(true);
  });

  it('sends only filled values of the template, typed', () => {
    expect(toAttributes(INVOICE, { supplier: 'ACME', amount: '7', reference: ' ', caseNumber: 'x' })).toEqual({
      supplier: 'ACME',
      amount: 7,
      confidential: false,
    });
  });

  it("reports what the server would refuse, the server's attributeLength included", () => {
    const values = { title: 'a'.repeat(21) };
    expect(validateDocument(LETTER, values)).toEqual({});
    expect(validateDocument(LETTER, values, { attributeLength: 20 })).toEqual({ title: 'Title must be at most 20 characters' });
    expect(validateDocument(LETTER, { title: 'a'.repeat(20) }, { attributeLength: 20 })).toEqual({});
  });

  it('pre-fills within the limit, and keeps what the user typed over it', () => {
    const facts = { subject: 'A subject longer than ten' };
    expect(prefillForTemplate(LETTER, facts, { values: {} }, { attributeLength: 10 })).toEqual({
      values: { title: 'A subject ' },
      origins: { title: 'message' },
    });
    expect(prefillForTemplate(LETTER, facts, { values: { title: 'Typed' } }, { attributeLength: 10 })).toEqual({ values: { title: 'Typed' }, origins: {} });
    // a field the user blanked gets the pre-filled value back
    expect(prefillForTemplate(LETTER, facts, { values: { title: '  ' } }).values).toEqual({ title: 'A subject longer than ten' });
  });

  it('offers the last filed values where nothing is pre-filled: over the catalogue default, under the message, under what was typed', () => {
    const remembered = { supplier: 'Old supplier', amount: 12, department: 'HR', confidential: true, reference: 'AB-1234', caseNumber: 'x/1' };
    const facts = { fromName: 'ACME Ltd', receivedAt: '2026-11-30T10:00:00Z' };
    expect(prefillForTemplate(INVOICE, facts, { values: { reference: 'CD-5678' } }, undefined, remembered).values).toEqual({
      supplier: 'ACME Ltd', // pre-filled from the message
      invoiceDate: '2026-11-30',
      amount: '12',
      department: 'HR',
      confidential: true, // the catalogue says false
      reference: 'CD-5678', // typed
    });
    // without a sender the remembered supplier fills the field
    expect(prefillForTemplate(INVOICE, {}, { values: {} }, undefined, remembered).values).toMatchObject({ supplier: 'Old supplier' });
  });

  it('says where each filled-in value came from: the message, as last filed, or kept with the origin it had; typed values and defaults have none', () => {
    const remembered = { supplier: 'Old supplier', amount: 12, department: 'HR', reference: 'AB-1234' };
    const facts = { fromName: 'ACME Ltd', receivedAt: '2026-11-30T10:00:00Z' };
    const previous = { values: { reference: 'CD-5678', title: 'invoice' }, origins: { title: 'fileName' as const } };
    expect(prefillForTemplate(INVOICE, facts, previous, undefined, remembered)).toEqual({
      values: { supplier: 'ACME Ltd', invoiceDate: '2026-11-30', amount: '12', department: 'HR', confidential: false, reference: 'CD-5678', title: 'invoice' },
      origins: { supplier: 'message', invoiceDate: 'message', amount: 'lastFiled', department: 'lastFiled', title: 'fileName' },
    });
  });

  it('drops a remembered value the template or the limits no longer accept', () => {
    // an option removed from the catalogue, a number out of range, a pattern no longer met, a value over attributeLength
    expect(lastUsedDefaults(INVOICE, { department: 'LEGAL', amount: -1, reference: 'ab-1234', supplier: 'ACME Ltd' }, { attributeLength: 4 })).toEqual({});
    expect(lastUsedDefaults(INVOICE, { amount: '3', supplier: ' ', caseNumber: 'x/1', unknown: 'y' })).toEqual({});
    expect(lastUsedDefaults(INVOICE, undefined)).toEqual({});
  });
});
