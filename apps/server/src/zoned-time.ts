import { DateTime } from 'luxon';

const MINUTE_MS = 60_000;

/** `n` as `width` digits with leading zeros. */
function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Calendar arithmetic in the configured IANA zone, never the process TZ: the
 * date folder, the HHmm of an import, timestamps with the zone's offset, and
 * the retention cutoff all come from here.
 *
 * Every write names the time, so the three formats it asks for are built
 * from the zone's offset, which one cached `Intl.DateTimeFormat` looks up
 * once per UTC minute: offsets change only on whole minutes (a transition is
 * a whole wall-clock minute, and the offsets on both sides are whole
 * minutes). Offsets of seconds (local mean time, before about 1900) and
 * years outside 1–9999 are left to luxon, which the results equal in every
 * case (`zoned-time.test.ts` compares them).
 */
export class ZonedTime {
  readonly #parts: Intl.DateTimeFormat;
  /** whether luxon writes this zone's offset as `Z` (the fixed zone `UTC`) rather than `+00:00` */
  readonly #utcDesignator: boolean;
  /** the UTC minute (epoch ms / 60 000) whose offset is in `#offsetMs`, NaN before the first look-up */
  #minute = Number.NaN;
  #offsetMs = 0;

  constructor(readonly zone: string) {
    this.#parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.#utcDesignator = DateTime.fromMillis(0, { zone }).toISO()?.endsWith('Z') ?? false;
  }

  private at(instant: Date): DateTime {
    return DateTime.fromJSDate(instant, { zone: this.zone });
  }

  /** `yyyy-MM-dd` of the instant in the zone. */
  dateFolder(instant: Date): string {
    const local = this.#local(instant);
    if (!local) return this.at(instant).toFormat('yyyy-MM-dd');
    return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}`;
  }

  /** `HHmm` of the instant in the zone. */
  hourMinute(instant: Date): string {
    const local = this.#local(instant);
    if (!local) return this.at(instant).toFormat('HHmm');
    return `${pad(local.getUTCHours(), 2)}${pad(local.getUTCMinutes(), 2)}`;
  }

  /** ISO 8601 with the zone's offset, e.g. `2026-11-21T09:42:07.123+01:00`. */
  iso(instant: Date): string {
    const local = this.#local(instant);
    if (!local) return this.at(instant).toISO({ includeOffset: true }) as string;
    const stamp = local.toISOString().slice(0, -1);
    if (this.#utcDesignator) return `${stamp}Z`;
    const minutes = Math.abs(this.#offsetMs) / MINUTE_MS;
    return `${stamp}${this.#offsetMs < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
  }

  /** The calendar date `days` before the instant's date in the zone, `yyyy-MM-dd`. */
  daysBefore(instant: Date, days: number): string {
    return this.at(instant).startOf('day').minus({ days }).toFormat('yyyy-MM-dd');
  }

  /**
   * The instant moved by the zone's offset, so that its UTC fields read as
   * the wall clock in the zone; undefined when luxon must answer instead.
   */
  #local(instant: Date): Date | undefined {
    const ms = instant.getTime();
    const minute = Math.floor(ms / MINUTE_MS);
    if (minute !== this.#minute) {
      const offset = this.#offsetAt(minute * MINUTE_MS);
      if (offset === undefined) return undefined;
      this.#offsetMs = offset;
      this.#minute = minute;
    }
    const local = new Date(ms + this.#offsetMs);
    const year = local.getUTCFullYear();
    return year >= 1 && year <= 9999 ? local : undefined;
  }

  /** The zone's offset at `ms` (a whole UTC minute) in ms, or undefined when luxon must answer (see the class). */
  #offsetAt(ms: number): number | undefined {
    if (!Number.isFinite(ms)) return undefined;
    const field: Record<string, number> = {};
    for (const part of this.#parts.formatToParts(ms)) if (part.type !== 'literal') field[part.type] = Number(part.value);
    const { year, month, day, hour, minute, second } = field as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
    if (year === undefined) return undefined;
    const wall = new Date(0);
    wall.setUTCFullYear(year, month - 1, day);
    wall.setUTCHours(hour, minute, second, 0);
    const offset = wall.getTime() - ms;
    // more than a day off: a year before 1, which the format shows without its era
    return offset % MINUTE_MS === 0 && Math.abs(offset) < 24 * 60 * MINUTE_MS ? offset : undefined;
  }
}
