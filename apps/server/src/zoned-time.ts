import { DateTime } from 'luxon';

/**
 * Calendar arithmetic in the configured IANA zone, never the process TZ: the
 * date folder, the HHmm of an import, timestamps with the zone's offset, and
 * the retention cutoff all come from here.
 */
export class ZonedTime {
  constructor(readonly zone: string) {}

  private at(instant: Date): DateTime {
    return DateTime.fromJSDate(instant, { zone: this.zone });
  }

  /** `yyyy-MM-dd` of the instant in the zone. */
  dateFolder(instant: Date): string {
    return this.at(instant).toFormat('yyyy-MM-dd');
  }

  /** `HHmm` of the instant in the zone. */
  hourMinute(instant: Date): string {
    return this.at(instant).toFormat('HHmm');
  }

  /** ISO 8601 with the zone's offset, e.g. `2026-11-21T09:42:07.123+01:00`. */
  iso(instant: Date): string {
    return this.at(instant).toISO({ includeOffset: true }) as string;
  }

  /** The calendar date `days` before the instant's date in the zone, `yyyy-MM-dd`. */
  daysBefore(instant: Date, days: number): string {
    return this.at(instant).startOf('day').minus({ days }).toFormat('yyyy-MM-dd');
  }
}
