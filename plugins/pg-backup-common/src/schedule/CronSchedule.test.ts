import { CronSchedule } from './CronSchedule';

function parse(expression: string, timeZone?: string): CronSchedule {
  const schedule = CronSchedule.parse(expression, timeZone);
  if (typeof schedule === 'string') throw new Error(schedule);
  return schedule;
}

const iso = (dates: (Date | undefined)[]) => dates.map(d => d?.toISOString());

describe('CronSchedule', () => {
  it.each([
    ['0 2 * * *', 'UTC', '2026-01-30T01:59:59Z', '2026-01-30T02:00:00.000Z'],
    // Strictly after: a run exactly at the reference time is not "next".
    ['0 2 * * *', 'UTC', '2026-01-30T02:00:00Z', '2026-01-31T02:00:00.000Z'],
    // Midnight UTC across the year boundary.
    ['0 0 * * *', 'UTC', '2026-12-31T23:59:30Z', '2027-01-01T00:00:00.000Z'],
    ['@daily', 'UTC', '2026-12-31T23:59:30Z', '2027-01-01T00:00:00.000Z'],
    ['@midnight', 'UTC', '2026-06-01T00:00:00Z', '2026-06-02T00:00:00.000Z'],
    ['@hourly', 'UTC', '2026-06-01T10:15:00Z', '2026-06-01T11:00:00.000Z'],
    ['@weekly', 'UTC', '2026-06-01T00:00:00Z', '2026-06-07T00:00:00.000Z'],
    ['0 */6 * * *', 'UTC', '2026-01-30T05:00:00Z', '2026-01-30T06:00:00.000Z'],
    // spec.timeZone: 02:00 in Berlin is 01:00 UTC in winter, 00:00 UTC in summer.
    [
      '0 2 * * *',
      'Europe/Berlin',
      '2026-01-30T00:00:00Z',
      '2026-01-30T01:00:00.000Z',
    ],
    [
      '0 2 * * *',
      'Europe/Berlin',
      '2026-07-01T00:30:00Z',
      '2026-07-02T00:00:00.000Z',
    ],
    // DST gap: 02:30 does not exist in New York on 2026-03-08; the run happens just after it.
    [
      '30 2 * * *',
      'America/New_York',
      '2026-03-07T12:00:00Z',
      '2026-03-08T07:00:00.000Z',
    ],
    // Day-of-month and day-of-week both restricted: either matches (13th OR Friday).
    ['0 0 13 * 5', 'UTC', '2026-02-01T00:00:00Z', '2026-02-06T00:00:00.000Z'],
    [
      '0 3 * * MON-FRI',
      'UTC',
      '2026-01-31T00:00:00Z',
      '2026-02-02T03:00:00.000Z',
    ],
    ['0 3 1 JUL *', 'UTC', '2026-01-31T00:00:00Z', '2026-07-01T03:00:00.000Z'],
  ])('%s in %s after %s is %s', (expression, zone, after, next) => {
    expect(
      parse(expression, zone).nextAfter(new Date(after))?.toISOString(),
    ).toBe(next);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'refuses %s with a reason instead of taking it for a descriptor',
    expression => {
      expect(CronSchedule.parse(expression, 'UTC')).toMatch(
        new RegExp(`^schedule "${expression}"`),
      );
    },
  );

  it('runs a fixed-time job once on the day a local time repeats', () => {
    const times = parse('30 1 * * *', 'America/New_York').timesBetween(
      new Date('2026-10-31T12:00:00Z'),
      new Date('2026-11-02T12:00:00Z'),
    );
    expect(iso(times)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('lists the times in (from, to], oldest first, bounded by the limit', () => {
    const schedule = parse('0 */6 * * *');
    expect(
      iso(
        schedule.timesBetween(
          new Date('2026-01-30T00:00:00Z'),
          new Date('2026-01-31T00:00:00Z'),
        ),
      ),
    ).toEqual([
      '2026-01-30T06:00:00.000Z',
      '2026-01-30T12:00:00.000Z',
      '2026-01-30T18:00:00.000Z',
      '2026-01-31T00:00:00.000Z',
    ]);
    expect(
      parse('* * * * *').timesBetween(
        new Date('2026-01-01T00:00:00Z'),
        new Date('2026-02-01T00:00:00Z'),
      ),
    ).toHaveLength(100);
    expect(
      schedule.timesBetween(
        new Date('2026-01-30T01:00:00Z'),
        new Date('2026-01-30T05:59:59Z'),
      ),
    ).toEqual([]);
  });

  it('finds the previous run within a horizon', () => {
    const schedule = parse('0 2 * * *');
    expect(
      schedule
        .previousAtOrBefore(new Date('2026-01-30T02:00:00Z'), 86_400_000)
        ?.toISOString(),
    ).toBe('2026-01-30T02:00:00.000Z');
    expect(
      schedule
        .previousAtOrBefore(new Date('2026-01-30T01:59:00Z'), 86_400_000)
        ?.toISOString(),
    ).toBe('2026-01-29T02:00:00.000Z');
    expect(
      schedule.previousAtOrBefore(new Date('2026-01-30T01:59:00Z'), 3_600_000),
    ).toBeUndefined();
  });

  it.each([
    ['TZ=UTC 0 2 * * *', 'UTC', /use spec.timeZone/],
    ['CRON_TZ=Europe/Berlin 0 2 * * *', 'UTC', /use spec.timeZone/],
    ['@every 5m', 'UTC', /unknown descriptor/],
    ['0 2 * *', 'UTC', /five fields/],
    ['0 0 2 * * *', 'UTC', /five fields/],
    ['', 'UTC', /five fields/],
    ['61 2 * * *', 'UTC', /not a valid cron expression/],
    ['0 2 L * *', 'UTC', /L, W or #/],
    ['0 2 15W * *', 'UTC', /L, W or #/],
    ['0 2 * * MON#1', 'UTC', /L, W or #/],
    ['0 2 * * *', 'Mars/Olympus', /not a known IANA time zone/],
  ])('rejects %p in %p', (expression, zone, message) => {
    expect(CronSchedule.parse(expression, zone)).toMatch(message);
  });
});
