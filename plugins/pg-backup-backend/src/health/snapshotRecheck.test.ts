import { BackupHealth } from '@pg-backup/backstage-plugin-pg-backup-common';
import { RECHECK_WINDOW_MS, recheckTime } from './snapshotRecheck';

const EVALUATED = '2026-11-24T02:01:00.000Z';

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
});
