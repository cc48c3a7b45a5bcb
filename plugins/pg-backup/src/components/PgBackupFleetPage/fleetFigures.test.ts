import {
  formatAgainstObjective,
  formatMinutes,
  lastDrillTime,
  recoveryPointAgeMs,
} from './fleetFigures';
import { HOUR, NOW, fleetEntry } from './fleetEntries.testData';

describe('fleetFigures', () => {
  it('measures the recovery point age at a time, never below zero', () => {
    expect(recoveryPointAgeMs(fleetEntry(), NOW)).toBe(5 * HOUR);
    expect(
      recoveryPointAgeMs(
        fleetEntry({ recoveryPointTime: '2026-11-24T11:00:00.000Z' }),
        NOW,
      ),
    ).toBe(0);
    expect(
      recoveryPointAgeMs(fleetEntry({ recoveryPointTime: undefined }), NOW),
    ).toBeUndefined();
  });

  it('formats to the minute against the objective', () => {
    expect(formatMinutes(72 * 60_000 + 20_000)).toBe('1h 12m');
    expect(formatAgainstObjective(5 * HOUR, 6 * HOUR)).toBe('5h / 6h');
    expect(formatAgainstObjective(undefined, 4 * HOUR)).toBe('— / 4h');
    expect(formatAgainstObjective(5 * HOUR, undefined)).toBe('5h');
  });

  it('takes the drill time from the drill record, else the time-only field', () => {
    expect(
      lastDrillTime(
        fleetEntry({
          lastDrillTime: '2026-01-01T00:00:00.000Z',
          lastDrill: { performedAt: '2026-02-01T00:00:00.000Z', passed: true },
        }),
      ),
    ).toBe('2026-02-01T00:00:00.000Z');
    expect(lastDrillTime(fleetEntry({ lastDrill: undefined }))).toBe(
      '2026-10-01T10:00:00.000Z',
    );
  });
});
