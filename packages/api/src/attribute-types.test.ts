import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_TYPE_RULES, ATTRIBUTE_TYPES, attributeType, describePrefills, parseDecimal, prefillFits, typesTaking } from './attribute-types.js';
import { type Attribute, attributeValueSchema, PREFILL_SOURCES } from './templates.js';

const text = (extra: Partial<Attribute> = {}): Attribute => ({ id: 't', label: 'T', type: 'text', required: false, serverGenerated: false, ...extra });

describe('the attribute type table', () => {
  it('has the five types of SPEC §13.2, each with the JSON shape the spec gives its values', () => {
    expect(ATTRIBUTE_TYPES).toEqual(['text', 'number', 'date', 'choice', 'boolean']);
    const shapes: Record<string, [unknown, unknown]> = {
      text: ['x', 1],
      number: [1.5, '1.5'],
      date: ['2026-11-30', 20261130],
      choice: ['FIN', true],
      boolean: [false, 'false'],
    };
    for (const type of ATTRIBUTE_TYPES) {
      const [good, bad] = shapes[type] ?? [];
      expect(attributeType(type).schema.safeParse(good).success, `${type} ${String(good)}`).toBe(true);
      expect(attributeType(type).schema.safeParse(bad).success, `${type} ${String(bad)}`).toBe(false);
    }
  });

  it('derives the value schema from the types: JSON scalars only', () => {
    for (const good of ['', 'x', 0, -1.5, true, false]) expect(attributeValueSchema.safeParse(good).success).toBe(true);
    for (const bad of [null, undefined, [], {}, Number.NaN, Number.POSITIVE_INFINITY]) expect(attributeValueSchema.safeParse(bad).success).toBe(false);
  });

  it('prefills text with any message fact and a date with the received date only (SPEC §13.2)', () => {
    for (const source of PREFILL_SOURCES) expect(prefillFits('text', source)).toBe(true);
    expect(PREFILL_SOURCES.filter((source) => prefillFits('date', source))).toEqual(['receivedDate']);
    for (const type of ['number', 'choice', 'boolean'] as const) {
      expect(PREFILL_SOURCES.filter((source) => prefillFits(type, source))).toEqual([]);
    }
    expect(describePrefills()).toBe('text takes any prefill, date only receivedDate');
  });

  it('cuts prefilled text to the smaller of maxLength and the global limit, in code points', () => {
    const fitFact = (attribute: Attribute, fact: string, globalMax: number | undefined) =>
      ATTRIBUTE_TYPE_RULES.text.prefill?.fitFact(attribute, fact, globalMax);
    expect(fitFact(text({ maxLength: 3 }), '😀😀😀😀', undefined)).toBe('😀😀😀');
    expect(fitFact(text({ maxLength: 3 }), 'abcdef', 2)).toBe('ab');
    expect(fitFact(text(), 'abcdef', 4)).toBe('abcd');
    expect(fitFact(text(), 'abcdef', undefined)).toBe('abcdef');
  });

  it('names which types take each type-specific setting', () => {
    expect(typesTaking('pattern')).toBe('text');
    expect(typesTaking('min')).toBe('number');
    expect(typesTaking('options')).toBe('choice');
  });

  it('parses written booleans as exactly "true" or "false"', () => {
    const { parse } = ATTRIBUTE_TYPE_RULES.boolean;
    expect([parse('true'), parse('false'), parse('TRUE'), parse('yes'), parse('1')]).toEqual([true, false, undefined, undefined, undefined]);
  });
});

describe('parseDecimal', () => {
  it('reads decimal numbers as people write them', () => {
    const cases: [string, number][] = [
      ['12', 12],
      ['-0.5', -0.5],
      ['+3', 3],
      ['.5', 0.5],
      ['1.', 1],
      ['1e3', 1000],
      ['2.5E-2', 0.025],
      ['007', 7],
    ];
    for (const [written, value] of cases) expect(parseDecimal(written), written).toBe(value);
  });

  it('refuses what is not a decimal number, or is too large for a double', () => {
    for (const bad of ['', ' ', ' 1', '1 ', '0x10', '0b1', '1_000', '1,5', 'Infinity', 'NaN', '.', 'e3', '1e', '--1', '1e999', '12a']) {
      expect(parseDecimal(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
