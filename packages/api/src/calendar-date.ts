/** `YYYY-MM-DD`: how dates are written in attribute values and in date folder names. */
export const CALENDAR_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A real date of the proleptic Gregorian calendar written as `YYYY-MM-DD`
 * (ISO 8601 calendar date, extended format): refuses 2026-02-30 and
 * 2100-02-29, takes years 0000 to 9999 alike.
 */
export function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
