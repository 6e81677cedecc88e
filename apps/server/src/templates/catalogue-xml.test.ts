import { readFile } from 'node:fs/promises';
import { initialAttributes } from '@toa/api/prefill';
import { validateAttributes } from '@toa/api/attributes';
import { describe, expect, it } from 'vitest';
import { SPEC_EXAMPLE, SPEC_INVOICE } from '@toa/fixtures/catalogue';
import { CatalogueError, DEFAULT_CATALOGUE_MAX_BYTES, parseCatalogueXml } from './catalogue-xml.js';

/** A catalogue with one template holding the given attribute elements. */
function withAttributes(attributes: string): string {
  return `<catalogue version="1"><template id="t" name="T">${attributes}</template></catalogue>`;
}

/** The problems a catalogue is refused for; fails the test when it is accepted. */
function problemsOf(xml: string | Buffer, options?: { maxBytes?: number }): readonly string[] {
  try {
    parseCatalogueXml(xml, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogueError);
    return (error as CatalogueError).problems;
  }
  throw new Error('the catalogue was accepted');
}

describe('parseCatalogueXml: the format', () => {
  it('reads the example of SPEC §13.2 into typed templates', () => {
    expect(parseCatalogueXml(SPEC_EXAMPLE)).toEqual({
      version: '1',
      templates: [SPEC_INVOICE],
    });
  });

  it('types defaults: numbers, booleans, dates and choices', () => {
    const catalogue = parseCatalogueXml(
      withAttributes(`
        <attribute id="n" label="N" type="number" min="-1.5" max="1e3" default="2.25"/>
        <attribute id="b" label="B" type="boolean" default="true"/>
        <attribute id="d" label="D" type="date" default="2024-02-29"/>
        <attribute id="c" label="C" type="choice" default="y"><option value="x"/><option value="y">Why</option></attribute>
        <attribute id="s" label="S" type="text" default="42"/>`),
    );
    const [n, b, d, c, s] = catalogue.templates[0]?.attributes ?? [];
    expect(n).toMatchObject({ min: -1.5, max: 1000, default: 2.25 });
    expect(b?.default).toBe(true);
    expect(d?.default).toBe('2024-02-29');
    // An option without text is shown by its value.
    expect(c).toMatchObject({
      default: 'y',
      options: [
        { value: 'x', label: 'x' },
        { value: 'y', label: 'Why' },
      ],
    });
    // A text default stays text, even when it looks like a number.
    expect(s?.default).toBe('42');
  });

  it('decodes UTF-8 (with or without a byte order mark), the XML entities and character references', () => {
    const xml = withAttributes('<attribute id="a" label="Zoë &amp; R&#x26;D &#233; &lt;x&gt;" type="text"/>');
    for (const input of [xml, Buffer.from(xml), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)])]) {
      expect(parseCatalogueXml(input).templates[0]?.attributes[0]?.label).toBe('Zoë & R&D é <x>');
    }
  });

  it('keeps patterns exactly as written and ignores comments and processing instructions', () => {
    const catalogue = parseCatalogueXml(withAttributes('<!-- note --><?app hint?><attribute id="a" label="A" type="text" pattern=" [a-z]+ "/>'));
    expect(catalogue.templates[0]?.attributes[0]?.pattern).toBe(' [a-z]+ ');
  });

  it('collects every problem, each with its template and attribute', () => {
    const problems = problemsOf(
      `<catalogue version="1">
        <template id="a" name="A"><attribute id="x" label="X" type="number" min="5" max="1"/></template>
        <template id="b" name="B"><attribute id="y" label="Y" type="colour"/></template>
      </catalogue>`,
    );
    expect(problems).toEqual([
      'template "a", attribute "x": min (5) is greater than max (1)',
      'template "b", attribute "y": type "colour" is not one of text, number, date, choice, boolean',
    ]);
    expect(() => parseCatalogueXml(withAttributes('<attribute id="x" label="X" type="colour"/>'))).toThrow(
      'invalid catalogue: template "t", attribute "x": type "colour" is not one of',
    );
  });
});

describe('parseCatalogueXml: the sample catalogue', () => {
  it('is valid and uses every attribute type, every prefill source and a server-generated attribute', async () => {
    const catalogue = parseCatalogueXml(await readFile(new URL('../../samples/catalogue.xml', import.meta.url)));
    const attributes = catalogue.templates.flatMap((t) => t.attributes);
    expect(catalogue.templates.map((t) => t.id)).toEqual(['invoice', 'contract', 'correspondence']);
    expect(new Set(attributes.map((a) => a.type))).toEqual(new Set(['text', 'number', 'date', 'choice', 'boolean']));
    expect(new Set(attributes.map((a) => a.prefill).filter(Boolean))).toEqual(new Set(['subject', 'fromName', 'fromAddress', 'receivedDate']));
    expect(attributes.some((a) => a.serverGenerated)).toBe(true);
    expect(attributes.some((a) => a.pattern !== undefined)).toBe(true);
  });

  it('gives forms that a typical message fills in validly, apart from what only a person knows', async () => {
    const catalogue = parseCatalogueXml(await readFile(new URL('../../samples/catalogue.xml', import.meta.url)));
    const facts = { subject: 'Re: hello', fromName: 'ACME s.r.o.', fromAddress: 'billing@acme.example', receivedAt: '2024-05-02T08:00:00Z' };
    const correspondence = catalogue.templates.find((t) => t.id === 'correspondence');
    if (!correspondence) throw new Error('no correspondence template');
    expect(validateAttributes(correspondence, initialAttributes(correspondence, facts, 'Europe/Prague'))).toEqual([]);
  });
});

describe('parseCatalogueXml: hostile and broken input', () => {
  it('refuses an entity expansion bomb ("billion laughs") before parsing', () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<catalogue version="1"><template id="t" name="&lol9;"/></catalogue>`;
    expect(problemsOf(lol)).toEqual(['contains a <!DOCTYPE declaration, which catalogues may not have']);
  });

  it('refuses an external entity', () => {
    const xxe = `<?xml version="1.0"?>
<!DOCTYPE catalogue [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<catalogue version="1"><template id="t" name="&x;"/></catalogue>`;
    expect(problemsOf(xxe)).toEqual(['contains a <!DOCTYPE declaration, which catalogues may not have']);
    // Even a stray declaration without a DOCTYPE, in any case.
    expect(problemsOf('<catalogue version="1"><!entity x SYSTEM "file:///etc/passwd"></catalogue>')).toEqual([
      'contains a <!ENTITY declaration, which catalogues may not have',
    ]);
  });

  it('refuses a catalogue over the size limit, counted in bytes', () => {
    const padded = withAttributes(`<!--${'x'.repeat(DEFAULT_CATALOGUE_MAX_BYTES)}--><attribute id="a" label="A" type="text"/>`);
    expect(problemsOf(padded)).toEqual([`larger than the limit of ${DEFAULT_CATALOGUE_MAX_BYTES} bytes`]);
    const small = withAttributes('<attribute id="a" label="ÄÄÄÄ" type="text"/>');
    expect(() => parseCatalogueXml(small, { maxBytes: Buffer.byteLength(small) })).not.toThrow();
    expect(problemsOf(small, { maxBytes: small.length })).toEqual([`larger than the limit of ${small.length} bytes`]);
  });

  it('refuses what is not UTF-8', () => {
    expect(problemsOf(Buffer.from(withAttributes('<attribute id="a" label="Zoë" type="text"/>'), 'latin1'))).toEqual([
      'not valid UTF-8 (a catalogue must be encoded in UTF-8)',
    ]);
    const utf16 = Buffer.from(withAttributes('<attribute id="a" label="A" type="text"/>'), 'utf16le');
    expect(problemsOf(utf16)).toEqual(['contains NUL characters (is it UTF-16?)']);
    expect(problemsOf(`<?xml version="1.0" encoding="ISO-8859-1"?>${withAttributes('')}`)).toEqual([
      'declares encoding "ISO-8859-1"; a catalogue must be encoded in UTF-8',
    ]);
  });

  it('refuses XML that is not well-formed, saying where', () => {
    expect(problemsOf('<catalogue version="1">\n<template id="t" name="T">\n</catalogue>')[0]).toMatch(/^not well-formed XML at line 3, column \d+: /);
    expect(problemsOf('<catalogue version="1" version="2"/>')[0]).toMatch(/^not well-formed XML at line 1/);
    expect(problemsOf('')).toEqual(['not well-formed XML at line 1: Start tag expected.']);
  });

  it('refuses nesting deeper than a catalogue has', () => {
    const deep = `<catalogue version="1">${'<x>'.repeat(50)}${'</x>'.repeat(50)}</catalogue>`;
    expect(problemsOf(deep)[0]).toMatch(/^not well-formed XML: .*nested/i);
  });

  it('wants exactly one <catalogue> root', () => {
    expect(problemsOf('<templates version="1"/>')).toEqual(['the document must have one root element <catalogue> (found <templates>)']);
    expect(problemsOf('<catalogue version="1"/><catalogue version="1"/>')[0]).toMatch(/one root element <catalogue>/);
  });
});

describe('parseCatalogueXml: structural rules', () => {
  const catalogueCases: [string, string, string][] = [
    ['no version', '<catalogue><template id="t" name="T"/></catalogue>', '<catalogue>: the version attribute is missing (use version="1")'],
    ['another version', '<catalogue version="2"><template id="t" name="T"/></catalogue>', '<catalogue>: version "2" is not supported (only "1")'],
    ['no template', '<catalogue version="1"/>', '<catalogue>: it has no <template>'],
    ['unknown element', '<catalogue version="1"><template id="t" name="T"/><domain/></catalogue>', '<catalogue>: unexpected element <domain>'],
    [
      'duplicate template id',
      '<catalogue version="1"><template id="t" name="T"/><template id="t" name="U"/></catalogue>',
      'template "t": the id is used by an earlier template',
    ],
    ['template without id', '<catalogue version="1"><template name="T"/></catalogue>', 'template #1: the id attribute is missing'],
    [
      'bad template id',
      '<catalogue version="1"><template id="a/b" name="T"/></catalogue>',
      'template "a/b": the id must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit',
    ],
    ['template without name', '<catalogue version="1"><template id="t" name=" "/></catalogue>', 'template "t": the name attribute is missing or empty'],
    ['text in a template', '<catalogue version="1"><template id="t" name="T">oops</template></catalogue>', 'template "t": unexpected text "oops"'],
  ];
  it.each(catalogueCases)('catalogue and templates: %s', (_name, xml, problem) => {
    expect(problemsOf(xml)).toContain(problem);
  });

  const attributeCases: [string, string, string][] = [
    [
      'duplicate attribute id',
      '<attribute id="a" label="A" type="text"/><attribute id="a" label="B" type="text"/>',
      'attribute "a": the id is used by an earlier attribute',
    ],
    ['attribute without id', '<attribute label="A" type="text"/>', 'attribute #1: the id attribute is missing'],
    [
      'bad attribute id',
      '<attribute id="1st" label="A" type="text"/>',
      'attribute "1st": the id must be 1-64 letters, digits, "_", "." or "-", starting with a letter',
    ],
    ['no label', '<attribute id="a" type="text"/>', 'attribute "a": the label attribute is missing or empty'],
    ['no type', '<attribute id="a" label="A"/>', 'attribute "a": the type attribute is missing (one of text, number, date, choice, boolean)'],
    ['unknown type', '<attribute id="a" label="A" type="integer"/>', 'attribute "a": type "integer" is not one of text, number, date, choice, boolean'],
    ['misspelt XML attribute', '<attribute id="a" label="A" type="text" maxlength="5"/>', 'attribute "a": unknown XML attribute "maxlength"'],
    ['required not boolean', '<attribute id="a" label="A" type="text" required="yes"/>', 'attribute "a": required must be "true" or "false", not "yes"'],
    [
      'serverGenerated not boolean',
      '<attribute id="a" label="A" type="text" serverGenerated="1"/>',
      'attribute "a": serverGenerated must be "true" or "false", not "1"',
    ],
    ['choice without options', '<attribute id="a" label="A" type="choice"/>', 'attribute "a": a choice needs at least one <option>'],
    [
      'options on a text',
      '<attribute id="a" label="A" type="text"><option value="x"/></attribute>',
      'attribute "a": <option> applies to choice attributes only',
    ],
    [
      'option without value',
      '<attribute id="a" label="A" type="choice"><option>X</option></attribute>',
      'attribute "a", option #1: the value attribute is missing or empty',
    ],
    [
      'duplicate option',
      '<attribute id="a" label="A" type="choice"><option value="x"/><option value="x"/></attribute>',
      'attribute "a", option #2: the value "x" is used by an earlier option',
    ],
    ['unexpected child', '<attribute id="a" label="A" type="text"><hint/></attribute>', 'attribute "a": unexpected element <hint>'],
    ['pattern does not compile', '<attribute id="a" label="A" type="text" pattern="[a-"/>', 'attribute "a": pattern "[a-" is not a valid regular expression'],
    [
      'pattern invalid in Unicode mode',
      '<attribute id="a" label="A" type="text" pattern="\\q"/>',
      'attribute "a": pattern "\\q" is not a valid regular expression',
    ],
    ['pattern on a number', '<attribute id="a" label="A" type="number" pattern="[0-9]+"/>', 'attribute "a": pattern applies to text attributes only'],
    ['maxLength on a date', '<attribute id="a" label="A" type="date" maxLength="10"/>', 'attribute "a": maxLength applies to text attributes only'],
    ['min on a text', '<attribute id="a" label="A" type="text" min="1"/>', 'attribute "a": min applies to number attributes only'],
    ['maxLength zero', '<attribute id="a" label="A" type="text" maxLength="0"/>', 'attribute "a": maxLength must be a positive whole number, not "0"'],
    ['maxLength fraction', '<attribute id="a" label="A" type="text" maxLength="1.5"/>', 'attribute "a": maxLength must be a positive whole number, not "1.5"'],
    ['min not a number', '<attribute id="a" label="A" type="number" min="zero"/>', 'attribute "a": min must be a number, not "zero"'],
    ['max empty', '<attribute id="a" label="A" type="number" max=""/>', 'attribute "a": max must be a number, not ""'],
    ['max infinite', '<attribute id="a" label="A" type="number" max="1e999"/>', 'attribute "a": max must be a number, not "1e999"'],
    ['min above max', '<attribute id="a" label="A" type="number" min="10" max="9.5"/>', 'attribute "a": min (10) is greater than max (9.5)'],
    [
      'unknown prefill',
      '<attribute id="a" label="A" type="text" prefill="to"/>',
      'attribute "a": prefill "to" is not one of subject, fromName, fromAddress, receivedDate',
    ],
    [
      'prefill subject on a date',
      '<attribute id="a" label="A" type="date" prefill="subject"/>',
      'attribute "a": prefill "subject" does not fit a date attribute (text takes any prefill, date only receivedDate)',
    ],
    [
      'prefill on a number',
      '<attribute id="a" label="A" type="number" prefill="receivedDate"/>',
      'attribute "a": prefill "receivedDate" does not fit a number attribute (text takes any prefill, date only receivedDate)',
    ],
    [
      'prefill on a server-generated attribute',
      '<attribute id="a" label="A" type="text" serverGenerated="true" prefill="subject"/>',
      'attribute "a": a serverGenerated attribute cannot have a prefill',
    ],
    [
      'default on a server-generated attribute',
      '<attribute id="a" label="A" type="text" serverGenerated="true" default="x"/>',
      'attribute "a": a serverGenerated attribute cannot have a default',
    ],
    ['number default not a number', '<attribute id="a" label="A" type="number" default="ten"/>', 'attribute "a": default "ten" is not a number value'],
    [
      'number default below min',
      '<attribute id="a" label="A" type="number" min="1" default="0"/>',
      'attribute "a": default "0" is not valid: A must be at least 1',
    ],
    [
      'number default above max',
      '<attribute id="a" label="A" type="number" max="1" default="2"/>',
      'attribute "a": default "2" is not valid: A must be at most 1',
    ],
    ['boolean default', '<attribute id="a" label="A" type="boolean" default="yes"/>', 'attribute "a": default "yes" is not a boolean value'],
    [
      'date default not a date',
      '<attribute id="a" label="A" type="date" default="2023-02-29"/>',
      'attribute "a": default "2023-02-29" is not valid: A must be a real date written as YYYY-MM-DD',
    ],
    [
      'choice default not an option',
      '<attribute id="a" label="A" type="choice" default="z"><option value="x">X</option></attribute>',
      'attribute "a": default "z" is not valid: A must be one of: X',
    ],
    [
      'text default against the pattern',
      '<attribute id="a" label="A" type="text" pattern="[0-9]+" default="x1"/>',
      'attribute "a": default "x1" is not valid: A does not have the expected format',
    ],
    [
      'text default too long',
      '<attribute id="a" label="A" type="text" maxLength="2" default="abc"/>',
      'attribute "a": default "abc" is not valid: A must be at most 2 characters',
    ],
    ['empty default', '<attribute id="a" label="A" type="text" default=""/>', 'attribute "a": default "" is not a text value'],
  ];
  it.each(attributeCases)('attributes: %s', (_name, attributes, problem) => {
    const problems = problemsOf(withAttributes(attributes));
    expect(problems.map((p) => p.replace(/^template "t", /, '')).some((p) => p.startsWith(problem))).toBe(true);
  });

  it('accepts what the rules allow at their edges', () => {
    const catalogue = parseCatalogueXml(
      withAttributes(`
        <attribute id="a.b-c_d" label="A" type="number" min="1" max="1" default="1"/>
        <attribute id="when" label="When" type="date" prefill="receivedDate"/>
        <attribute id="gen" label="Gen" type="text" serverGenerated="true" required="true"/>
        <attribute id="re" label="Re" type="text" pattern="\\p{L}+" maxLength="3" default="Żół"/>`),
    );
    expect(catalogue.templates[0]?.attributes.map((a) => a.id)).toEqual(['a.b-c_d', 'when', 'gen', 're']);
  });
});
