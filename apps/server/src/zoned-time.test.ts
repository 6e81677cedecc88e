import fc from 'fast-check';
import { DateTime } from 'luxon';
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

describe('ZonedTime formats as luxon does', () => {
  const ZONES = [
    'UTC',
    'Etc/UTC',
    'Etc/GMT+3',
    'Europe/Prague',
    'Europe/London',
    'America/St_Johns',
    'America/New_York',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Auckland',
  ];
  const luxon = (zone: string, instant: Date) => {
    const at = DateTime.fromJSDate(instant, { zone });
    return [at.toFormat('yyyy-MM-dd'), at.toFormat('HHmm'), at.toISO({ includeOffset: true })];
  };
  const ours = (time: ZonedTime, instant: Date) => [time.dateFolder(instant), time.hourMinute(instant), time.iso(instant)];

  it('at any instant from year 1 to 9999, local mean time included', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
        (zone, instant) => {
          expect(ours(new ZonedTime(zone), instant)).toEqual(luxon(zone, instant));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('minute by minute across daylight-saving changes, with one instance remembering the offset', () => {
    // spring and autumn changes in both hemispheres, a 30-minute change (Lord Howe) and a 45-minute zone (Chatham)
    const changes = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z', '2026-04-04T14:00:00Z'];
    for (const zone of ZONES) {
      const time = new ZonedTime(zone);
      for (const change of changes) {
        const start = Date.parse(change) - 90 * 60_000;
        for (let ms = start; ms < start + 180 * 60_000; ms += 29_999) expect([zone, ...ours(time, new Date(ms))]).toEqual([zone, ...luxon(zone, new Date(ms))]);
      }
    }
  });
});
