import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { OutsideOffice } from './outside-office';

describe('OutsideOffice', () => {
  it.each([
    [{ kind: 'outside' as const, detail: 'Office.js is not loaded.' }, /Open TOA in Outlook/, /Select a message in Outlook and choose TOA/],
    [{ kind: 'outside' as const, host: 'Word', detail: 'Office host Word' }, /TOA works in Outlook/, /not in Word/],
    [{ kind: 'outside' as const, failed: true, detail: 'Office.js did not answer within 10 s' }, /TOA could not start/, /network connection/],
  ])('tells the user what to do, in their words (%o)', (startup, title, body) => {
    render(<OutsideOffice startup={startup} />);
    const bar = screen.getByRole('group');
    expect(bar).toHaveTextContent(title);
    expect(bar).toHaveTextContent(body);
    // nothing a user cannot act on: no library names, no error text
    expect(bar.textContent).not.toMatch(/Office\.js|office\.js|host|not loaded|within 10 s/);
  });
});
