import { SPEC_INVOICE } from '@toa/fixtures/catalogue';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_ERROR_CODES } from './attribute-types.js';
import { validateAttribute, validateAttributes, withoutBlanks } from './attributes.js';
import { attributesSchema } from './imports.js';
import { type Attribute, type Template, templateSchema } from './templates.js';

// The SPEC invoice, with a supplier limit of 10 and an amount cap of 1000 so that the limits are easy to cross.
const invoice: Template = templateSchema.parse({
  ...SPEC_INVOICE,
  attributes: SPEC_INVOICE.attributes.map((a) => (a.id === 'supplier' ? { ...a, maxLength: 10 } : a.id === 'amount' ? { ...a, max: 1000 } : a)),
});

function attribute(id: string): Attribute {
  const found = invoice.attributes.find((a) => a.id === id);
  if (!found) throw new Error(`no attribute ${id}`);
  return found;
}

const complete = { supplier: 'ACME', invoiceDate: '2024-02-29', department: 'FIN' };

describe('validateAttributes', () => {
  it('accepts a complete, valid set of values', () => {
    expect(validateAttributes(invoice, { ...complete, amount: 12.5, confidential: true, reference: 'AB-1234' })).toEqual([]);
  });

  it('reports every missing required value with its label', () => {
    expect(validateAttributes(invoice, {})).toEqual([
      { field: 'supplier', code: 'required', message: 'Supplier is required' },
      { field: 'invoiceDate', code: 'required', message: 'Invoice date is required' },
      { field: 'department', code: 'required', message: 'Department is required' },
    ]);
  });

  it('counts empty and blank strings as missing', () => {
    const errors = validateAttributes(invoice, { ...complete, supplier: '', invoiceDate: '  \t' });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['supplier', 'required'],
      ['invoiceDate', 'required'],
    ]);
    // An optional value left empty is no error, whatever its type.
    expect(validateAttributes(invoice, { ...complete, amount: '', reference: '' })).toEqual([]);
  });

  it('lets a draft leave required values out with requireAll: false, but still checks what is there', () => {
    expect(validateAttributes(invoice, {}, { requireAll: false })).toEqual([]);
    expect(validateAttributes(invoice, { amount: -1 }, { requireAll: false })).toEqual([
      { field: 'amount', code: 'min', message: 'Amount must be at least 0' },
    ]);
  });

  it('reports unknown attribute ids after the template fields, in the order given', () => {
    const errors = validateAttributes(invoice, { zeta: 1, ...complete, alpha: 'x', amount: -5 });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['amount', 'min'],
      ['zeta', 'unknown'],
      ['alpha', 'unknown'],
    ]);
    expect(errors[1]?.message).toBe('"zeta" is not an attribute of Incoming invoice');
    // undefined is absent, as after JSON
    expect(validateAttributes(invoice, { ...complete, gone: undefined })).toEqual([]);
  });

  it('does not mistake Object.prototype members for values or attributes', () => {
    const withCtor = templateSchema.parse({
      id: 't',
      name: 'T',
      attributes: [{ id: 'constructor', label: 'Constructor', type: 'text', required: true }],
    });
    expect(validateAttributes(withCtor, {}).map((e) => e.code)).toEqual(['required']);
    const hostile = JSON.parse('{"__proto__": "x", "toString": 1}') as Record<string, unknown>;
    expect(validateAttributes(withCtor, { ...hostile, constructor: 'ok' }).map((e) => [e.field, e.code])).toEqual([
      ['__proto__', 'unknown'],
      ['toString', 'unknown'],
    ]);
  });

  it('refuses a server-generated attribute sent by the client, even empty', () => {
    for (const value of ['CN-1', '', null]) {
      expect(validateAttributes(invoice, { ...complete, caseNumber: value })).toEqual([
        { field: 'caseNumber', code: 'serverGenerated', message: 'Case number is filled in by the server' },
      ]);
    }
  });

  it('applies the global length limit to every string value', () => {
    const errors = validateAttributes(invoice, { ...complete, department: 'F'.repeat(11) }, { maxLength: 10 });
    expect(errors).toEqual([{ field: 'department', code: 'maxLength', message: 'Department must be at most 10 characters' }]);
  });

  it('returns exactly one error per bad field, using only the documented codes', () => {
    const errors = validateAttributes(invoice, {
      supplier: 42,
      amount: 'many',
      invoiceDate: '2023-02-29',
      department: 'IT',
      confidential: 'yes',
      reference: 'ab-1234',
      caseNumber: 'x',
      extra: true,
    });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      ['supplier', 'type'],
      ['amount', 'type'],
      ['invoiceDate', 'date'],
      ['department', 'choice'],
      ['confidential', 'type'],
      ['reference', 'pattern'],
      ['caseNumber', 'serverGenerated'],
      ['extra', 'unknown'],
    ]);
    for (const error of errors) expect(ATTRIBUTE_ERROR_CODES).toContain(error.code);
  });
});

describe('validateAttribute', () => {
  it('checks the JSON type of each attribute type', () => {
    const cases: [string, unknown, string][] = [
      ['supplier', 1, 'Supplier must be text'],
      ['supplier', ['ACME'], 'Supplier must be text'],
      ['amount', '12', 'Amount must be a number'],
      ['amount', Number.NaN, 'Amount must be a number'],
      ['amount', Number.POSITIVE_INFINITY, 'Amount must be a number'],
      ['amount', true, 'Amount must be a number'],
      ['invoiceDate', 20240101, 'Invoice date must be a date written as YYYY-MM-DD'],
      ['department', 1, 'Department must be one of: Finance, Human resources'],
      ['confidential', 'true', 'Confidential must be true or false'],
      ['confidential', 0, 'Confidential must be true or false'],
      ['supplier', null, 'Supplier must be text'],
    ];
    for (const [id, value, message] of cases) {
      expect(validateAttribute(attribute(id), value), `${id} = ${String(value)}`).toEqual({ field: id, code: 'type', message });
    }
  });

  it('accepts false as a boolean value, not as missing', () => {
    const required = { ...attribute('confidential'), required: true };
    expect(validateAttribute(required, false)).toBeUndefined();
    expect(validateAttribute(required, undefined)?.code).toBe('required');
  });

  it('matches the whole text against the pattern, in Unicode mode', () => {
    const reference = attribute('reference');
    expect(validateAttribute(reference, 'AB-1234')).toBeUndefined();
    for (const bad of ['AB-12345', 'xAB-1234', 'AB-1234\n', 'ab-1234']) {
      expect(validateAttribute(reference, bad)).toEqual({
        field: 'reference',
        code: 'pattern',
        message: 'Reference does not have the expected format',
      });
    }
    // An alternation is anchored as a whole, not just its first and last branch.
    const either = { ...reference, pattern: 'a|b' };
    expect(validateAttribute(either, 'ab')?.code).toBe('pattern');
    expect(validateAttribute(either, 'b')).toBeUndefined();
    // Unicode mode: one "." is one code point, and property escapes work.
    expect(validateAttribute({ ...reference, pattern: '.' }, '😀')).toBeUndefined();
    expect(validateAttribute({ ...reference, pattern: '\\p{Lu}+' }, 'ÉÅ')).toBeUndefined();
  });

  it('counts maxLength in code points and takes the smaller of the template and global limits', () => {
    const supplier = attribute('supplier'); // maxLength 10
    expect(validateAttribute(supplier, '😀'.repeat(10))).toBeUndefined();
    expect(validateAttribute(supplier, '😀'.repeat(11))).toEqual({
      field: 'supplier',
      code: 'maxLength',
      message: 'Supplier must be at most 10 characters',
    });
    expect(validateAttribute(supplier, 'abcdef', { maxLength: 5 })?.message).toBe('Supplier must be at most 5 characters');
    expect(validateAttribute(supplier, 'abcdefghijk', { maxLength: 50 })?.message).toBe('Supplier must be at most 10 characters');
  });

  it('checks the length before the pattern', () => {
    const reference = { ...attribute('reference'), maxLength: 3 };
    expect(validateAttribute(reference, 'AB-1234')?.code).toBe('maxLength');
  });

  it('checks min and max inclusively', () => {
    const amount = attribute('amount');
    expect(validateAttribute(amount, 0)).toBeUndefined();
    expect(validateAttribute(amount, 1000)).toBeUndefined();
    expect(validateAttribute(amount, -0.01)).toEqual({ field: 'amount', code: 'min', message: 'Amount must be at least 0' });
    expect(validateAttribute(amount, 1000.5)).toEqual({ field: 'amount', code: 'max', message: 'Amount must be at most 1000' });
  });

  it('accepts only real calendar dates', () => {
    const date = attribute('invoiceDate');
    for (const good of ['2024-02-29', '2000-02-29', '1999-12-31', '2024-04-30']) {
      expect(validateAttribute(date, good), good).toBeUndefined();
    }
    for (const bad of ['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-1-5', '2024-01-01T00:00', 'tomorrow']) {
      expect(validateAttribute(date, bad), bad).toEqual({
        field: 'invoiceDate',
        code: 'date',
        message: 'Invoice date must be a real date written as YYYY-MM-DD',
      });
    }
  });

  it('accepts only the values of a choice, not their labels', () => {
    const department = attribute('department');
    expect(validateAttribute(department, 'HR')).toBeUndefined();
    expect(validateAttribute(department, 'Finance')).toEqual({
      field: 'department',
      code: 'choice',
      message: 'Department must be one of: Finance, Human resources',
    });
  });

  it('ignores missing server-generated values, even when required', () => {
    expect(validateAttribute({ ...attribute('caseNumber'), required: true }, undefined)).toBeUndefined();
  });
});

describe('withoutBlanks', () => {
  it('leaves out blank strings, and keeps every other value (false and 0 included)', () => {
    expect(withoutBlanks({ a: '', b: ' \t', c: 'x', d: 0, e: false, f: ' y ' })).toEqual({ c: 'x', d: 0, e: false, f: ' y ' });
  });
});

describe('property: what is accepted stays accepted', () => {
  const anyJson = fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
  const date = fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  // Mostly plausible values, so that many inputs pass, mixed with anything JSON can carry.
  const plausible = {
    supplier: fc.string({ unit: 'grapheme', maxLength: 12 }),
    amount: fc.double({ min: 0, max: 1000, noNaN: true }),
    invoiceDate: fc.oneof({ weight: 4, arbitrary: date }, { weight: 1, arbitrary: fc.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }),
    department: fc.constantFrom('FIN', 'HR', 'HR', 'IT', ''),
    confidential: fc.boolean(),
    reference: fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[A-Z]{2}-[0-9]{4}$/) }, fc.string()),
    caseNumber: fc.constant(undefined),
    extra: fc.constant(undefined),
  };
  const values = fc.record(
    Object.fromEntries(Object.entries(plausible).map(([id, arbitrary]) => [id, fc.oneof({ weight: 10, arbitrary }, { weight: 1, arbitrary: anyJson })])),
    // Required ids are always keys; `undefined` from anyJson still leaves them out.
    { requiredKeys: ['supplier', 'invoiceDate', 'department'] },
  );

  it('round-trips through JSON, passes again and is valid as stored attributes', () => {
    let accepted = 0;
    fc.assert(
      fc.property(values, fc.boolean(), (input, requireAll) => {
        const options = { maxLength: 12, requireAll };
        if (validateAttributes(invoice, input, options).length > 0) return;
        accepted++;
        const roundTripped = JSON.parse(JSON.stringify(input)) as Record<string, unknown>;
        expect(validateAttributes(invoice, roundTripped, options)).toEqual([]);
        expect(attributesSchema.safeParse(roundTripped).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
    // The property means something only if a fair share of inputs was accepted.
    expect(accepted).toBeGreaterThan(100);
  });
});
