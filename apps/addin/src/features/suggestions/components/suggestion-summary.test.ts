import type { Suggestion } from '@toa/api/suggestions';
import { describe, expect, it } from 'vitest';
import { INVOICE } from '../../../test/fixtures';
import { describeSuggestion } from './suggestion-summary';

const suggestion = (attributes: Suggestion['attributes']): Suggestion => ({
  domain: 'acme',
  templateId: 'invoice',
  attributes,
  score: 0.9,
  reasons: [{ source: 'conversation', text: 'same conversation as an import of 3 Nov' }],
});

describe('describeSuggestion', () => {
  it("names a choice by its option's label and a yes/no by the attribute's label, in the template's order", () => {
    // SPEC §13.2: department HR is "Human resources"; confidential is the boolean "Confidential".
    const text = describeSuggestion(suggestion({ confidential: false, department: 'HR', reference: 'AB-1234', amount: 12.5 }), INVOICE);
    expect(text).toBe('Incoming invoice: 12.5, Human resources, Confidential: no, AB-1234');
    expect(describeSuggestion(suggestion({ confidential: true }), INVOICE)).toBe('Incoming invoice: Confidential: yes');
  });

  it('shows the template alone when the suggestion has no values, and raw values for a template no longer in the catalogue', () => {
    expect(describeSuggestion(suggestion({}), INVOICE)).toBe('Incoming invoice');
    expect(describeSuggestion(suggestion({ department: 'HR', confidential: false }), undefined)).toBe('invoice: HR, false');
  });

  it('keeps a value the template does not know (an option removed since) as it was filed', () => {
    expect(describeSuggestion(suggestion({ department: 'LEGAL' }), INVOICE)).toBe('Incoming invoice: LEGAL');
  });
});
