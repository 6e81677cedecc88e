import { describe, expect, it } from 'vitest';
import { refusalReason } from './http-answer.js';

describe('refusalReason', () => {
  it('prefers the detail of a problem answer, then the usual fields', () => {
    expect(refusalReason(JSON.stringify({ title: 'Invalid', detail: 'Template "x" is unknown' }), 'application/problem+json')).toBe('Template "x" is unknown');
    expect(refusalReason(JSON.stringify({ error: 'quota exceeded' }), 'application/json')).toBe('quota exceeded');
    expect(refusalReason(JSON.stringify({ code: 17 }), 'application/json')).toBeUndefined();
  });

  it('quotes plain text on one line, bounded', () => {
    expect(refusalReason('bad\r\n\tmanifest\u0007', 'text/plain')).toBe('bad manifest');
    const long = refusalReason('x'.repeat(5_000), 'text/plain');
    expect(long).toHaveLength(200);
    expect(long?.endsWith('…')).toBe(true);
  });

  it('never quotes an HTML page', () => {
    expect(refusalReason('<html><body>403 Forbidden by proxy</body></html>', null)).toBeUndefined();
    expect(refusalReason('Forbidden', 'text/html; charset=utf-8')).toBeUndefined();
  });
});
