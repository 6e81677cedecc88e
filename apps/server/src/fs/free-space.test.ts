import { describe, expect, it } from 'vitest';
import { reserveWarning } from './free-space.js';

const MIB = 1024 * 1024;
const reading = (freeMib: number, reserveMib: number, totalMib: number) => ({
  freeBytes: freeMib * MIB,
  reserveBytes: reserveMib * MIB,
  totalBytes: totalMib * MIB,
  belowReserve: freeMib < reserveMib,
});

describe('reserveWarning', () => {
  it('says nothing while the disk is above its reserve', () => {
    expect(reserveWarning(reading(5000, 1024, 10_000))).toBeUndefined();
  });

  it('names a reserve larger than the whole disk and the setting to lower', () => {
    expect(reserveWarning(reading(900, 4096, 1000))).toBe(
      'the free-space reserve of 4096 MiB is larger than the whole data disk (1000 MiB): every new import and page will be refused with 507; lower limits.freeSpaceReserveMb',
    );
  });

  it('names a disk that starts below its reserve', () => {
    expect(reserveWarning(reading(512, 1024, 10_000))).toBe(
      'the data disk has 512 MiB free, below its reserve of 1024 MiB: new content is refused with 507 until there is room',
    );
  });
});
