import {
  checkTimeZone,
  timeZoneOffsetMs,
  zonedWallClockToUtc,
} from './zonedTime';

const wall = (iso: string) => {
  const [date, time] = iso.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute, second] = time.split(':').map(Number);
  return { year, month, day, hour, minute, second };
};

describe('zonedWallClockToUtc', () => {
  it.each([
    ['UTC', '2026-01-30T02:00:00', '2026-01-30T02:00:00.000Z'],
    ['Europe/Berlin', '2026-01-30T02:00:00', '2026-01-30T01:00:00.000Z'],
    ['Europe/Berlin', '2026-07-01T02:00:00', '2026-07-01T00:00:00.000Z'],
    // Across midnight and the year boundary in a zone east of UTC.
    ['Europe/Berlin', '2026-01-01T00:30:00', '2025-12-31T23:30:00.000Z'],
    ['Asia/Kolkata', '2026-01-30T00:00:00', '2026-01-29T18:30:00.000Z'],
    // West of UTC: late evening local is the next day in UTC.
    ['America/Los_Angeles', '2026-12-31T20:00:00', '2027-01-01T04:00:00.000Z'],
    // Spring forward: 02:30 does not exist in New York on 2026-03-08; it resolves to 03:30 EDT.
    ['America/New_York', '2026-03-08T02:30:00', '2026-03-08T07:30:00.000Z'],
    // Fall back: 01:30 happens twice on 2026-11-01; the earlier (EDT) one is chosen.
    ['America/New_York', '2026-11-01T01:30:00', '2026-11-01T05:30:00.000Z'],
    ['America/New_York', '2026-11-01T02:30:00', '2026-11-01T07:30:00.000Z'],
  ])('%s %s is %s', (zone, local, utc) => {
    expect(new Date(zonedWallClockToUtc(wall(local), zone)).toISOString()).toBe(
      utc,
    );
  });
});

describe('timeZoneOffsetMs', () => {
  it('follows DST', () => {
    expect(
      timeZoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin'),
    ).toBe(3_600_000);
    expect(
      timeZoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Berlin'),
    ).toBe(7_200_000);
    expect(timeZoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'UTC')).toBe(0);
  });
});

describe('checkTimeZone', () => {
  it('accepts IANA names and rejects others', () => {
    expect(checkTimeZone('Etc/UTC')).toBeUndefined();
    expect(checkTimeZone('America/New_York')).toBeUndefined();
    expect(checkTimeZone('Mars/Olympus')).toMatch(
      /"Mars\/Olympus" is not a known IANA time zone/,
    );
  });
});
