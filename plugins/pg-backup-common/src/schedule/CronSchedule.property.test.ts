// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import fc from 'fast-check';
import { CronSchedule } from './CronSchedule';

// PG_BACKUP_SOAK=1 runs ten times as many cases; a failure prints the seed to replay it.
const runs = (n: number) => (process.env.PG_BACKUP_SOAK === '1' ? n * 10 : n);

/** Any Date, including the edges of the range and invalid ones. */
const anyDate = fc.oneof(
  fc.date({ noInvalidDate: false }),
  fc.date({
    min: new Date('1970-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59Z'),
    noInvalidDate: true,
  }),
  fc.constantFrom(
    new Date(8.64e15),
    new Date(-8.64e15),
    new Date(NaN),
    new Date('+275760-09-13T00:00:00.000Z'),
  ),
);

describe('CronSchedule at any date', () => {
  it('never throws: a run outside the range of dates is no run', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          '0 2 * * *',
          '*/5 * * * *',
          '@weekly',
          '0 0 * * 0',
          '0 0 29 2 *',
        ),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
        anyDate,
        anyDate,
        (expression, timeZone, from, to) => {
          const schedule = CronSchedule.parse(expression, timeZone);
          if (typeof schedule === 'string') throw new Error(schedule);
          const next = schedule.nextAfter(from);
          if (next !== undefined)
            expect(next.getTime()).toBeGreaterThan(from.getTime());
          const times = schedule.timesBetween(from, to, 5);
          expect(times.length).toBeLessThanOrEqual(5);
          schedule.previousAtOrBefore(to, 86_400_000);
        },
      ),
      { numRuns: runs(1000) },
    );
  });

  it('has no run outside 1970-9999 (regressions: croner threw a RangeError, or never returned for Europe/Berlin)', () => {
    const weekly = CronSchedule.parse(
      '0 0 * * 0',
      'Europe/Berlin',
    ) as CronSchedule;
    expect(weekly.nextAfter(new Date(8639999999999954))).toBeUndefined();
    expect(
      weekly.previousAtOrBefore(new Date(8639999999999954), 1),
    ).toBeUndefined();
    const schedule = CronSchedule.parse('*/5 * * * *', 'UTC') as CronSchedule;
    expect(
      schedule.nextAfter(new Date('+275760-09-13T00:00:00.000Z')),
    ).toBeUndefined();
    expect(schedule.timesBetween(new Date(8.64e15), new Date(8.64e15))).toEqual(
      [],
    );
  });
});
