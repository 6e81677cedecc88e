import type { Template } from '@toa/api/templates';
import { describe, expect, it } from 'vitest';
import { INVOICE, LETTER } from '../test/fixtures';
import { fileTitle, inheritedValues, isTitleAttribute } from './inherited-values';

/** A contract template sharing `supplier` (text) and `amount` (but as text), with a title labelled so. */
const CONTRACT: Template = {
  id: 'contract',
  name: 'Contract',
  attributes: [
    { id: 'supplier', label: 'Supplier', type: 'text', required: true, serverGenerated: false },
    { id: 'amount', label: 'Amount', type: 'text', required: false, serverGenerated: false },
    { id: 'confidential', label: 'Confidential', type: 'boolean', required: false, serverGenerated: false },
    { id: 'heading', label: 'Title', type: 'text', required: false, maxLength: 8, serverGenerated: false },
    { id: 'caseNumber', label: 'Case number', type: 'text', required: false, serverGenerated: true },
  ],
};

describe('values a document extracted from an attachment inherits', () => {
  it('takes the message document’s value of every attribute of the same id and type, and says so', () => {
    const message = { template: INVOICE, values: { supplier: 'ACME', amount: '12', confidential: true, caseNumber: 'C-1', reference: '' } };
    expect(inheritedValues(CONTRACT, message, 'scan.pdf')).toEqual({
      // amount is a number there and text here: not taken; a server-generated value never is; blank is no value
      values: { supplier: 'ACME', confidential: true, heading: 'scan' },
      origins: { supplier: 'messageDocument', confidential: 'messageDocument', heading: 'fileName' },
    });
  });

  it('puts the file name without extension in the title, cut to the attribute’s and the server’s limits', () => {
    const none = { template: undefined, values: {} };
    expect(inheritedValues(LETTER, none, 'Offer 2026.final.pdf').values).toEqual({ title: 'Offer 2026.final' });
    expect(inheritedValues(CONTRACT, none, 'Framework agreement.docx').values).toEqual({ heading: 'Framewor' });
    expect(inheritedValues(LETTER, none, 'Framework agreement.docx', { attributeLength: 5 }).values).toEqual({ title: 'Frame' });
    // the file's name beats the message's title: it names the attachment
    expect(inheritedValues(LETTER, { template: LETTER, values: { title: 'Re: offer' } }, 'offer.pdf')).toEqual({
      values: { title: 'offer' },
      origins: { title: 'fileName' },
    });
  });

  it('leaves a template without a title attribute, or a nameless file, without a title', () => {
    expect(inheritedValues(INVOICE, { template: undefined, values: {} }, 'invoice.pdf')).toEqual({ values: {}, origins: {} });
    expect(inheritedValues(LETTER, { template: undefined, values: {} }, '.pdf')).toEqual({ values: { title: '.pdf' }, origins: { title: 'fileName' } });
    expect(inheritedValues(LETTER, { template: undefined, values: {} }, '  ')).toEqual({ values: {}, origins: {} });
  });

  it('knows a title by its id or its label, on text attributes only', () => {
    expect(isTitleAttribute({ id: 'TITLE', label: 'Name', type: 'text', required: false, serverGenerated: false })).toBe(true);
    expect(isTitleAttribute({ id: 'x', label: ' title ', type: 'text', required: false, serverGenerated: false })).toBe(true);
    expect(isTitleAttribute({ id: 'title', label: 'Title', type: 'choice', required: false, serverGenerated: false })).toBe(false);
    expect(isTitleAttribute({ id: 'subtitle', label: 'Subtitle', type: 'text', required: false, serverGenerated: false })).toBe(false);
  });

  it('reads a file title as the name before the last dot', () => {
    expect(fileTitle('a.b.c')).toBe('a.b');
    expect(fileTitle('README')).toBe('README');
    expect(fileTitle('.bashrc')).toBe('.bashrc');
    expect(fileTitle(' report .pdf')).toBe('report');
  });
});
