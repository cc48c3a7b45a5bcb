// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import { Cron } from 'croner';
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

  it('answers from the remembered interval exactly as croner does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0 2 * * *', '*/5 * * * *', '0 0 * * 0', '30 1 * * *'),
        fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'),
        fc.date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        // later lookups near the first, as a fleet's evaluations are: some inside the
        // remembered interval, some at or past its end, some before its start
        fc.array(fc.integer({ min: -86_400_000, max: 8 * 86_400_000 }), {
          minLength: 1,
          maxLength: 8,
        }),
        (expression, timeZone, first, offsets) => {
          const schedule = CronSchedule.parse(expression, timeZone);
          if (typeof schedule === 'string') throw new Error(schedule);
          const croner = new Cron(expression, {
            timezone: timeZone,
            mode: '5-part',
            paused: true,
          });
          const next = schedule.nextAfter(first)!;
          expect(next.toISOString()).toBe(croner.nextRun(first)?.toISOString());
          // the interval's ends, then the other lookups
          for (const at of [
            new Date(next.getTime() - 1),
            next,
            first,
            ...offsets.map(ms => new Date(first.getTime() + ms)),
          ]) {
            expect(schedule.nextAfter(at)?.toISOString()).toBe(
              croner.nextRun(at)?.toISOString(),
            );
            // asked twice for the same instant, as a fleet refresh does
            for (let twice = 0; twice < 2; twice++) {
              const [previous] = croner.previousRuns(
                1,
                new Date(at.getTime() + 1000),
              );
              const within =
                previous && at.getTime() - previous.getTime() <= 86_400_000;
              expect(
                schedule.previousAtOrBefore(at, 86_400_000)?.toISOString(),
              ).toBe(within ? previous.toISOString() : undefined);
            }
          }
        },
      ),
      { numRuns: runs(500) },
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
