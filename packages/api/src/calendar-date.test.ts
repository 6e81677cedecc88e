import { describe, expect, it } from 'vitest';
import { isCalendarDate } from './calendar-date.js';

describe('isCalendarDate', () => {
  it('takes real dates of the Gregorian calendar, leap days by its rule', () => {
    for (const good of ['2024-02-29', '2000-02-29', '1999-12-31', '2024-04-30', '9999-12-31']) expect(isCalendarDate(good), good).toBe(true);
    for (const bad of ['2023-02-29', '1900-02-29', '2100-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00']) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
  });

  it('takes years below 100 as written (proleptic Gregorian), not as 19xx', () => {
    // Date.UTC would read these years as 1900 to 1999.
    expect(isCalendarDate('0004-02-29')).toBe(true);
    expect(isCalendarDate('0000-02-29')).toBe(true);
    expect(isCalendarDate('0001-02-29')).toBe(false);
    expect(isCalendarDate('0050-06-15')).toBe(true);
  });

  it('takes only YYYY-MM-DD, nothing around it', () => {
    for (const bad of ['2024-1-5', '24-01-05', '2024-01-01T00:00', ' 2024-01-01', '2024-01-01\n', '2024/01/01', 'tomorrow', '']) {
      expect(isCalendarDate(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
