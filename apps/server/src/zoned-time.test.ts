import { describe, expect, it } from 'vitest';
import { ZonedTime } from './zoned-time.js';

describe('ZonedTime', () => {
  it('names folders in the configured zone, not UTC', () => {
    // 23:30 UTC on 21 Nov is already 22 Nov 12:30 in Auckland (+13:00)
    const instant = new Date('2026-11-21T23:30:00Z');
    const auckland = new ZonedTime('Pacific/Auckland');
    expect(auckland.dateFolder(instant)).toBe('2026-11-22');
    expect(auckland.hourMinute(instant)).toBe('1230');
    expect(auckland.iso(instant)).toBe('2026-11-22T12:30:00.000+13:00');
    const honolulu = new ZonedTime('Pacific/Honolulu');
    expect(honolulu.dateFolder(instant)).toBe('2026-11-21');
    expect(honolulu.hourMinute(instant)).toBe('1330');
  });

  it('counts calendar days across a daylight-saving change', () => {
    const prague = new ZonedTime('Europe/Prague');
    // 29 Mar 2026 is 23 hours long in Prague; 00:30 local on 30 Mar
    const instant = new Date('2026-03-29T22:30:00Z');
    expect(prague.dateFolder(instant)).toBe('2026-03-30');
    expect(prague.daysBefore(instant, 1)).toBe('2026-03-29');
    expect(prague.daysBefore(instant, 2)).toBe('2026-03-28');
    // 25 Oct 2026 is 25 hours long; 23:30 local that day
    const autumn = new Date('2026-10-25T22:30:00Z');
    expect(prague.dateFolder(autumn)).toBe('2026-10-25');
    expect(prague.daysBefore(autumn, 30)).toBe('2026-09-25');
  });
});
