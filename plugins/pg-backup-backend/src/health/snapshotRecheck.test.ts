import { BackupHealth } from '@pg-backup/backstage-plugin-pg-backup-common';
import { RECHECK_WINDOW_MS, recheckTime } from './snapshotRecheck';

const EVALUATED = '2026-11-24T02:01:00.000Z';
const DAY = 24 * 60 * 60_000;

const health = (overrides: Partial<BackupHealth> = {}): BackupHealth => ({
  status: 'healthy',
  summary: 'Last good backup 1m ago — within RPO 6h',
  missedRuns: 0,
  findings: [],
  evaluatedAt: EVALUATED,
  schedules: [
    {
      role: 'backup',
      cronJob: 'postgresql-backup',
      state: 'scheduled',
      nextRun: '2026-11-25T02:00:00.000Z',
      previousRun: '2026-11-23T02:00:00.000Z',
    },
    {
      role: 'checkpoint',
      cronJob: 'postgresql-wal-checkpoint',
      state: 'scheduled',
      nextRun: '2026-11-24T06:00:00.000Z',
      previousRun: '2026-11-24T00:00:00.000Z',
    },
  ],
  ...overrides,
});

describe('recheckTime', () => {
  it('is the next scheduled run of any CronJob when nothing runs', () => {
    expect(recheckTime(health())).toBe('2026-11-24T06:00:00.000Z');
  });

  it('is now while a Job of the database runs', () => {
    expect(
      recheckTime(
        health({
          findings: [
            {
              code: 'job-running',
              severity: 'info',
              message: 'Job postgresql-backup-1 is running',
            },
          ],
        }),
      ),
    ).toBe(EVALUATED);
  });

  it('is now for a few minutes after a scheduled run, until its Job is seen', () => {
    const justDue = health();
    justDue.schedules![0].previousRun = '2026-11-24T02:00:00.000Z';
    expect(recheckTime(justDue)).toBe(EVALUATED);
    const later = health({
      evaluatedAt: new Date(
        Date.parse('2026-11-24T02:00:00.000Z') + RECHECK_WINDOW_MS,
      ).toISOString(),
    });
    later.schedules![0].previousRun = '2026-11-24T02:00:00.000Z';
    expect(recheckTime(later)).toBe('2026-11-24T06:00:00.000Z');
  });

  it('never follows a suspended, missing or unreadable schedule', () => {
    expect(
      recheckTime(
        health({
          schedules: [
            {
              role: 'backup',
              cronJob: 'postgresql-backup',
              state: 'suspended',
            },
            {
              role: 'checkpoint',
              cronJob: 'postgresql-wal-checkpoint',
              state: 'missing',
            },
          ],
        }),
      ),
    ).toBeUndefined();
    expect(recheckTime(health({ schedules: undefined }))).toBeUndefined();
  });

  it('is now for a few minutes after a Job succeeded while its backup is not yet seen', () => {
    const job = {
      name: 'postgresql-backup-manual-1',
      cronJob: 'postgresql-backup',
      state: 'succeeded' as const,
      startTime: '2026-11-24T02:00:10Z',
      finishedAt: '2026-11-24T02:00:40Z',
    };
    const olderPoint = {
      time: '2026-11-23T02:00:05.000Z',
      ageMs: DAY,
      key: 'postgresql/daily/qawave_20261123_020005.dump',
      role: 'backup' as const,
      size: 1024,
    };
    // The Job list already shows the Job finished, the listing still the previous backup.
    expect(recheckTime(health({ recoveryPoint: olderPoint }), [job])).toBe(
      EVALUATED,
    );
    expect(recheckTime(health(), [job])).toBe(EVALUATED);
    // Its backup is seen (the key's time has whole seconds, like the Job's start).
    const newPoint = {
      ...olderPoint,
      time: '2026-11-24T02:00:10.000Z',
      key: 'postgresql/daily/qawave_20261124_020010.dump',
    };
    expect(recheckTime(health({ recoveryPoint: newPoint }), [job])).toBe(
      '2026-11-24T06:00:00.000Z',
    );
    // A failed Job adds no backup; one that finished long ago is not waited for.
    expect(
      recheckTime(health({ recoveryPoint: olderPoint }), [
        { ...job, state: 'failed' },
      ]),
    ).toBe('2026-11-24T06:00:00.000Z');
    const later = new Date(
      Date.parse(job.finishedAt) + RECHECK_WINDOW_MS,
    ).toISOString();
    expect(
      recheckTime(health({ recoveryPoint: olderPoint, evaluatedAt: later }), [
        job,
      ]),
    ).toBe('2026-11-24T06:00:00.000Z');
  });
});
