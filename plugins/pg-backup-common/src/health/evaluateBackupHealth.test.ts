import { formatBackupKey } from '../storage/backupKeys';
import { evaluateBackupHealth, formatBytes } from './evaluateBackupHealth';
import {
  BackupHealthInput,
  BackupObjectFacts,
  HealthFindingCode,
} from './types';

const H = 3_600_000;
const D = 24 * H;
const NOW = new Date('2026-01-30T08:00:00Z');

function at(offsetMs: number): string {
  return new Date(NOW.getTime() + offsetMs).toISOString();
}

/** Daily full backups at 02:00 UTC for `days` days and checkpoints every 6 hours. */
function backupHistory(days = 35, size = 50_000_000): BackupObjectFacts[] {
  const full: BackupObjectFacts[] = [];
  for (let day = 0; day < days; day++) {
    const taken = new Date(Date.parse('2026-01-30T02:00:00Z') - day * D);
    full.push({
      key: formatBackupKey('postgresql/daily/', 'qawave', taken),
      role: 'backup',
      size: size + day * 1000,
      takenAt: taken.toISOString(),
      lastModified: new Date(taken.getTime() + 90_000).toISOString(),
    });
  }
  const checkpoints = [2, 8, 14, 20].map(hoursBefore => {
    const taken = new Date(
      Date.parse('2026-01-30T06:00:00Z') - hoursBefore * H + 2 * H,
    );
    return {
      key: formatBackupKey('postgresql/checkpoints/', 'qawave', taken),
      role: 'checkpoint' as const,
      size,
      takenAt: taken.toISOString(),
      lastModified: new Date(taken.getTime() + 60_000).toISOString(),
    };
  });
  return [...full, ...checkpoints];
}

function healthyInput(): BackupHealthInput {
  return {
    objectives: {
      rpoMs: 6 * H,
      rtoMs: 4 * H,
      retentionMs: 30 * D,
      drillIntervalMs: 90 * D,
    },
    expectedCronJobs: {
      backup: 'postgresql-backup',
      checkpoint: 'postgresql-wal-checkpoint',
    },
    cronJobs: {
      known: true,
      value: [
        {
          name: 'postgresql-backup',
          role: 'backup',
          schedule: '0 2 * * *',
          suspend: false,
          createdAt: '2025-06-01T00:00:00Z',
          lastScheduleTime: '2026-01-30T02:00:00Z',
          lastSuccessfulTime: '2026-01-30T02:01:30Z',
        },
        {
          name: 'postgresql-wal-checkpoint',
          role: 'checkpoint',
          schedule: '0 */6 * * *',
          suspend: false,
          createdAt: '2025-06-01T00:00:00Z',
          lastScheduleTime: '2026-01-30T06:00:00Z',
          lastSuccessfulTime: '2026-01-30T06:01:00Z',
        },
      ],
    },
    jobs: {
      known: true,
      value: [
        {
          name: 'postgresql-backup-29490120',
          cronJob: 'postgresql-backup',
          state: 'failed',
          startTime: '2026-01-29T02:00:00Z',
          finishedAt: '2026-01-29T02:03:00Z',
          failureReason: 'BackoffLimitExceeded',
        },
        {
          name: 'postgresql-backup-29491560',
          cronJob: 'postgresql-backup',
          state: 'succeeded',
          startTime: '2026-01-30T02:00:00Z',
          finishedAt: '2026-01-30T02:01:30Z',
        },
        {
          name: 'postgresql-wal-checkpoint-29491800',
          cronJob: 'postgresql-wal-checkpoint',
          state: 'succeeded',
          startTime: '2026-01-30T06:00:00Z',
          finishedAt: '2026-01-30T06:01:00Z',
        },
      ],
    },
    backups: { known: true, value: backupHistory() },
    storagePolicy: {
      known: true,
      value: { expirationDays: 30, defaultEncryption: 'AES256' },
    },
    latestVerification: {
      known: true,
      value: {
        backupKey: 'postgresql/daily/qawave_20260130_020000.dump',
        verifiedAt: '2026-01-30T03:00:00Z',
        passed: true,
      },
    },
    latestDrill: {
      known: true,
      value: {
        performedAt: at(-30 * D),
        passed: true,
        measuredRtoMs: 40 * 60_000,
      },
    },
  };
}

function codes(input: BackupHealthInput, now = NOW): HealthFindingCode[] {
  return evaluateBackupHealth(input, now).findings.map(f => f.code);
}

describe('evaluateBackupHealth', () => {
  it('heads the status with the finding that threatens recovery, not with junk objects or hygiene', () => {
    const input = healthyInput();
    if (!input.backups.known) throw new Error('unreachable');
    input.backups.value.push(
      // A future-dated empty object and a dump without a manifest, uploaded by hand.
      {
        key: 'postgresql/daily/qawave_20991231_235959.dump',
        role: 'backup',
        size: 0,
        takenAt: '2099-12-31T23:59:59Z',
        lastModified: at(-60_000),
        complete: false,
      },
      {
        key: 'postgresql/daily/qawave_20260130_075000.dump',
        role: 'backup',
        size: 50_000_000,
        takenAt: at(-10 * 60_000),
        lastModified: at(-9 * 60_000),
        complete: false,
      },
    );
    input.security = {
      known: true,
      value: {
        accessLogging: false,
        endpoint: 'https://s3.example',
      },
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.status).toBe('warning');
    expect(health.findings.map(f => f.code)).toEqual([
      'access-logging-disabled',
      'backup-incomplete',
      'clock-skew',
    ]);
    expect(health.summary).toMatch(/^S3 server access logging is off/);
    // The recovery point is the newest backup that can be restored.
    expect(health.recoveryPoint?.key).toBe(
      'postgresql/checkpoints/qawave_20260130_060000.dump',
    );

    // With nothing else wrong, the anomaly itself is the headline.
    input.security.value.accessLogging = true;
    expect(evaluateBackupHealth(input, NOW).summary).toMatch(
      /^Newest backup postgresql\/daily\/qawave_20991231_235959.dump is empty/,
    );
  });

  it('ranks a suspended backup schedule above hygiene and shows it instead of a next run', () => {
    const input = healthyInput();
    if (!input.cronJobs.known) throw new Error('unreachable');
    input.cronJobs.value[0].suspend = true;
    input.security = {
      known: true,
      value: { accessLogging: false, endpoint: 'http://s3.example' },
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.findings.map(f => f.code)).toEqual([
      'cronjob-suspended',
      'plain-http-endpoint',
      'access-logging-disabled',
    ]);
    expect(health.summary).toMatch(/postgresql-backup is suspended/);
    expect(health.schedules).toEqual([
      { role: 'backup', cronJob: 'postgresql-backup', state: 'suspended' },
      {
        role: 'checkpoint',
        cronJob: 'postgresql-wal-checkpoint',
        state: 'scheduled',
        nextRun: '2026-01-30T12:00:00.000Z',
        previousRun: '2026-01-30T06:00:00.000Z',
      },
    ]);
  });

  it('is healthy when every objective is met, with recovery point and next run', () => {
    expect(evaluateBackupHealth(healthyInput(), NOW)).toEqual({
      status: 'healthy',
      summary: 'Last good backup 2h ago — within RPO 6h',
      recoveryPoint: {
        time: '2026-01-30T06:00:00.000Z',
        ageMs: 2 * H,
        key: 'postgresql/checkpoints/qawave_20260130_060000.dump',
        role: 'checkpoint',
        size: 50_000_000,
      },
      rpoMet: true,
      nextRun: '2026-01-30T12:00:00.000Z',
      schedules: [
        {
          role: 'backup',
          cronJob: 'postgresql-backup',
          state: 'scheduled',
          nextRun: '2026-01-31T02:00:00.000Z',
          previousRun: '2026-01-30T02:00:00.000Z',
        },
        {
          role: 'checkpoint',
          cronJob: 'postgresql-wal-checkpoint',
          state: 'scheduled',
          nextRun: '2026-01-30T12:00:00.000Z',
          previousRun: '2026-01-30T06:00:00.000Z',
        },
      ],
      missedRuns: 0,
      findings: [],
      evaluatedAt: NOW.toISOString(),
    });
  });

  type Case = [
    string,
    (input: BackupHealthInput) => void,
    HealthFindingCode,
    string,
    RegExp,
  ];
  const cases: Case[] = [
    [
      'newest recoverable point older than RPO',
      i => {
        i.backups = {
          known: true,
          value: backupHistory().filter(
            b => b.role === 'backup' && b.takenAt! < '2026-01-30T00:00:00Z',
          ),
        };
      },
      'rpo-exceeded',
      'critical',
      /^Last good backup 1d 6h ago — RPO 6h exceeded$/,
    ],
    [
      'last backup job failed',
      i => {
        if (i.jobs.known) i.jobs.value[1].state = 'failed';
      },
      'last-job-failed',
      'critical',
      /Last backup job postgresql-backup-29491560 failed/,
    ],
    [
      'a failed and a good run ending in the same second, failure started last',
      i => {
        if (i.jobs.known)
          Object.assign(i.jobs.value[0], {
            startTime: '2026-01-30T02:01:00Z',
            finishedAt: '2026-01-30T02:01:30Z',
          });
      },
      'last-job-failed',
      'critical',
      /Last backup job postgresql-backup-29490120 failed/,
    ],
    [
      'a failed and a good run with identical times',
      i => {
        if (i.jobs.known)
          Object.assign(i.jobs.value[0], {
            startTime: '2026-01-30T02:00:00Z',
            finishedAt: '2026-01-30T02:01:30Z',
          });
      },
      'last-job-failed',
      'critical',
      /Last backup job postgresql-backup-29490120 failed/,
    ],
    [
      'last checkpoint job failed',
      i => {
        if (i.jobs.known)
          Object.assign(i.jobs.value[2], {
            state: 'failed',
            failureReason: 'DeadlineExceeded',
          });
      },
      'last-job-failed',
      'warning',
      /Last checkpoint job .* failed: DeadlineExceeded/,
    ],
    [
      'backup CronJob suspended',
      i => {
        if (i.cronJobs.known) i.cronJobs.value[0].suspend = true;
      },
      'cronjob-suspended',
      'critical',
      /postgresql-backup is suspended: no new backups/,
    ],
    [
      'backup CronJob missing from the cluster',
      i => {
        if (i.cronJobs.known) i.cronJobs.value.splice(0, 1);
      },
      'cronjob-missing',
      'critical',
      /backup CronJob postgresql-backup does not exist/,
    ],
    [
      'schedule the cluster would reject',
      i => {
        if (i.cronJobs.known) i.cronJobs.value[1].schedule = '0 */6 * *';
      },
      'invalid-schedule',
      'warning',
      /postgresql-wal-checkpoint: schedule "0 \*\/6 \* \*" must have five fields/,
    ],
    [
      'scheduled runs missed',
      i => {
        if (i.cronJobs.known)
          i.cronJobs.value[1].lastScheduleTime = '2026-01-29T12:00:00Z';
      },
      'missed-runs',
      'warning',
      /postgresql-wal-checkpoint missed 3 scheduled runs, the first at 2026-01-29T18:00:00.000Z/,
    ],
    [
      'no full backup for more than 36 hours',
      i => {
        i.backups = {
          known: true,
          value: backupHistory().filter(
            b => b.role === 'checkpoint' || b.takenAt! < '2026-01-28T19:00:00Z',
          ),
        };
      },
      'backup-missing',
      'critical',
      /No full backup for 2d 6h \(alert threshold 36h\)/,
    ],
    [
      'lifecycle rule missing',
      i => {
        i.storagePolicy = {
          known: true,
          value: { defaultEncryption: 'AES256' },
        };
      },
      'retention-missing',
      'warning',
      /No lifecycle rule expires the backups; the retention objective is 30 days/,
    ],
    [
      'lifecycle rule shorter than the objective',
      i => {
        i.storagePolicy = {
          known: true,
          value: { expirationDays: 7, defaultEncryption: 'AES256' },
        };
      },
      'retention-mismatch',
      'warning',
      /after 7 days, but the retention objective is 30 days: backups are deleted too early/,
    ],
    [
      'lifecycle rule longer than the objective',
      i => {
        i.storagePolicy = {
          known: true,
          value: { expirationDays: 365, defaultEncryption: 'aws:kms' },
        };
      },
      'retention-mismatch',
      'warning',
      /kept longer than the policy allows/,
    ],
    [
      'bucket without default encryption',
      i => {
        i.storagePolicy = { known: true, value: { expirationDays: 30 } };
      },
      'encryption-missing',
      'warning',
      /no default server-side encryption/,
    ],
    [
      'an empty dump that "succeeded"',
      i => {
        if (i.backups.known) i.backups.value[0].size = 0;
      },
      'backup-too-small',
      'critical',
      /Latest backup .*qawave_20260130_020000.dump is empty \(0 bytes\)/,
    ],
    [
      'a dump far smaller than the previous ones',
      i => {
        if (i.backups.known) i.backups.value[0].size = 900_000;
      },
      'backup-too-small',
      'critical',
      /is 879 KiB, 2% of the median of the previous 7 \(48 MiB\): it may be empty or truncated/,
    ],
    [
      'no backup ever verified',
      i => {
        i.latestVerification = { known: true, value: undefined };
      },
      'backup-never-verified',
      'warning',
      /No backup has ever been verified/,
    ],
    [
      'latest verification failed',
      i => {
        i.latestVerification = {
          known: true,
          value: {
            backupKey: 'k',
            verifiedAt: at(-H),
            passed: false,
            summary: 'row count of orders 10 != 12',
          },
        };
      },
      'verification-failed',
      'critical',
      /Verification of k failed: row count of orders 10 != 12/,
    ],
    [
      'drill never run',
      i => {
        i.latestDrill = { known: true, value: undefined };
      },
      'drill-never-run',
      'warning',
      /No recovery drill has been recorded; one is due every 90d/,
    ],
    [
      'drill overdue (more than a quarter ago)',
      i => {
        i.latestDrill = {
          known: true,
          value: { performedAt: at(-100 * D), passed: true, measuredRtoMs: H },
        };
      },
      'drill-overdue',
      'warning',
      /Last recovery drill was 100d ago; one is due every 90d/,
    ],
    [
      'drill measured RTO above objective',
      i => {
        i.latestDrill = {
          known: true,
          value: {
            performedAt: at(-10 * D),
            passed: true,
            measuredRtoMs: 5 * H + 30 * 60_000,
          },
        };
      },
      'drill-rto-exceeded',
      'warning',
      /took 5h 30m to recover, above the RTO of 4h/,
    ],
    [
      'drill failed',
      i => {
        i.latestDrill = {
          known: true,
          value: { performedAt: at(-10 * D), passed: false },
        };
      },
      'drill-failed',
      'critical',
      /last recovery drill .* failed/,
    ],
  ];

  it.each(cases)('flags %s', (_name, change, code, severity, message) => {
    const input = healthyInput();
    change(input);
    const health = evaluateBackupHealth(input, NOW);
    const finding = health.findings.find(f => f.code === code);
    expect(finding).toEqual(
      expect.objectContaining({
        code,
        severity,
        message: expect.stringMatching(message),
      }),
    );
    expect(health.status).toBe(
      severity === 'critical' ? 'critical' : 'warning',
    );
    expect(health.summary).toBe(health.findings[0].message);
  });

  it.each([
    'cronJobs',
    'jobs',
    'backups',
    'storagePolicy',
    'latestVerification',
    'latestDrill',
  ] as const)('is unknown, never healthy, when %s cannot be read', fact => {
    const input = healthyInput();
    (input as any)[fact] = {
      known: false,
      reason: 'connect ECONNREFUSED 127.0.0.1:6443',
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.status).toBe('unknown');
    expect(health.findings[0]).toEqual({
      code: 'fact-unavailable',
      severity: 'unknown',
      subject: fact,
      message: expect.stringMatching(
        /^Could not read .*: connect ECONNREFUSED 127.0.0.1:6443$/,
      ),
    });
  });

  it('counts the run that started later when a failed and a good run end in the same second', () => {
    const input = healthyInput();
    if (input.jobs.known)
      Object.assign(input.jobs.value[0], {
        startTime: '2026-01-30T01:59:00Z',
        finishedAt: '2026-01-30T02:01:30Z',
      });
    expect(codes(input)).not.toContain('last-job-failed');
  });

  it('does not claim the RPO is met when backups cannot be read', () => {
    const input = healthyInput();
    input.backups = { known: false, reason: 'AccessDenied' };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.rpoMet).toBeUndefined();
    expect(health.recoveryPoint).toBeUndefined();
  });

  it('stays critical when a critical fact is known and another is unknown', () => {
    const input = healthyInput();
    input.storagePolicy = { known: false, reason: 'timeout after 5000 ms' };
    if (input.jobs.known) input.jobs.value[1].state = 'failed';
    const health = evaluateBackupHealth(input, NOW);
    expect(health.status).toBe('critical');
    expect(health.findings.map(f => f.severity)).toEqual([
      'critical',
      'unknown',
    ]);
  });

  it('treats an empty bucket as unrecoverable', () => {
    const input = healthyInput();
    input.backups = { known: true, value: [] };
    const health = evaluateBackupHealth(input, NOW);
    expect(health).toMatchObject({
      status: 'critical',
      rpoMet: false,
      summary: 'No backups found: the database cannot be recovered',
    });
    expect(health.recoveryPoint).toBeUndefined();
  });

  it('does not count incomplete backups as recovery points', () => {
    const input = healthyInput();
    if (input.backups.known) {
      for (const b of input.backups.value)
        if (b.role === 'checkpoint') b.complete = false;
    }
    const health = evaluateBackupHealth(input, NOW);
    expect(health.recoveryPoint?.key).toBe(
      'postgresql/daily/qawave_20260130_020000.dump',
    );
    expect(health.findings.map(f => f.code)).toEqual(['backup-incomplete']);
    expect(health.rpoMet).toBe(true);
  });

  it('says so when no backup object is complete', () => {
    const input = healthyInput();
    if (input.backups.known)
      for (const b of input.backups.value) b.complete = false;
    expect(evaluateBackupHealth(input, NOW).findings[0].message).toMatch(
      /None of the 39 backup objects is complete/,
    );
  });

  it('uses the object time when a key has no time, and handles midnight UTC', () => {
    const input = healthyInput();
    input.objectives.rpoMs = 24 * H;
    input.expectedCronJobs = { backup: 'postgresql-backup' };
    input.backups = {
      known: true,
      value: [
        {
          key: 'postgresql/daily/latest.dump',
          role: 'backup',
          size: 10,
          lastModified: '2026-01-29T23:59:59Z',
        },
      ],
    };
    const health = evaluateBackupHealth(
      input,
      new Date('2026-01-30T23:59:59Z'),
    );
    expect(health.recoveryPoint).toEqual({
      time: '2026-01-29T23:59:59.000Z',
      ageMs: 24 * H,
      key: 'postgresql/daily/latest.dump',
      role: 'backup',
      size: 10,
    });
    expect(health.rpoMet).toBe(true);
    expect(
      evaluateBackupHealth(input, new Date('2026-01-31T00:00:00Z')).rpoMet,
    ).toBe(false);
  });

  it('flags clock skew and never computes a negative age', () => {
    const input = healthyInput();
    input.backups = {
      known: true,
      value: [
        {
          key: 'postgresql/daily/qawave_20260130_090000.dump',
          role: 'backup',
          size: 10,
          takenAt: '2026-01-30T09:00:00Z',
          lastModified: '2026-01-30T09:01:00Z',
        },
      ],
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.recoveryPoint?.ageMs).toBe(0);
    expect(health.findings.map(f => f.code)).toContain('clock-skew');
    expect(health.status).toBe('warning');
  });

  it('prefers the storage time when a key claims a time after the upload', () => {
    const input = healthyInput();
    input.backups = {
      known: true,
      value: [
        {
          key: 'postgresql/daily/qawave_20260130_070000.dump',
          role: 'backup',
          size: 10,
          takenAt: '2026-01-30T07:00:00Z',
          lastModified: '2026-01-29T01:00:00Z',
        },
      ],
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.recoveryPoint?.time).toBe('2026-01-29T01:00:00.000Z');
    expect(health.findings.map(f => f.code)).toEqual(
      expect.arrayContaining(['clock-skew', 'rpo-exceeded']),
    );
  });

  it('tolerates a few seconds of skew without a finding', () => {
    const input = healthyInput();
    expect(codes(input, new Date('2026-01-30T05:59:30Z'))).toEqual([]);
  });

  it('counts no missed runs for a suspended CronJob and reports none before the grace period ends', () => {
    const input = healthyInput();
    input.objectives.rpoMs = 12 * H;
    expect(codes(input, new Date('2026-01-30T12:05:00Z'))).toEqual([]);
    expect(
      evaluateBackupHealth(input, new Date('2026-01-30T12:11:00Z')).missedRuns,
    ).toBe(1);
    if (input.cronJobs.known) input.cronJobs.value[1].suspend = true;
    const health = evaluateBackupHealth(
      input,
      new Date('2026-01-30T12:11:00Z'),
    );
    expect(health.missedRuns).toBe(0);
    expect(health.nextRun).toBe('2026-01-31T02:00:00.000Z');
  });

  it('uses startingDeadlineSeconds as the grace period and the creation time when never scheduled', () => {
    const input = healthyInput();
    input.expectedCronJobs = { backup: 'postgresql-backup' };
    if (input.cronJobs.known) {
      input.cronJobs.value = [
        {
          name: 'postgresql-backup',
          role: 'backup',
          schedule: '0 2 * * *',
          suspend: false,
          startingDeadlineSeconds: 60,
          createdAt: '2026-01-28T00:00:00Z',
        },
      ];
    }
    const health = evaluateBackupHealth(
      input,
      new Date('2026-01-30T02:02:00Z'),
    );
    expect(health.missedRuns).toBe(3);
  });

  it('reads the schedule in the CronJob time zone for the next run', () => {
    const input = healthyInput();
    input.expectedCronJobs = { backup: 'postgresql-backup' };
    if (input.cronJobs.known) {
      input.cronJobs.value = [
        {
          ...input.cronJobs.value[0],
          timeZone: 'America/New_York',
          lastScheduleTime: '2026-01-30T07:00:00Z',
        },
      ];
    }
    expect(evaluateBackupHealth(input, NOW).nextRun).toBe(
      '2026-01-31T07:00:00.000Z',
    );
  });

  it('does not blame an old failure once a later job succeeded, and reports running jobs as info', () => {
    const input = healthyInput();
    if (input.jobs.known)
      input.jobs.value.push({
        name: 'manual-backup',
        cronJob: 'postgresql-backup',
        state: 'running',
        startTime: at(-60_000),
      });
    const health = evaluateBackupHealth(input, NOW);
    expect(health.status).toBe('healthy');
    expect(health.findings).toEqual([
      {
        code: 'job-running',
        severity: 'info',
        subject: 'manual-backup',
        message: `Job manual-backup is running since ${at(-60_000)}`,
      },
    ]);
  });

  it('notes, without alarm, that the newest backup is not verified yet', () => {
    const input = healthyInput();
    input.latestVerification = {
      known: true,
      value: {
        backupKey: 'postgresql/daily/qawave_20260129_020000.dump',
        verifiedAt: '2026-01-29T03:00:00Z',
        passed: true,
      },
    };
    const health = evaluateBackupHealth(input, NOW);
    expect(health.status).toBe('healthy');
    expect(health.findings.map(f => [f.code, f.severity])).toEqual([
      ['latest-backup-unverified', 'info'],
    ]);
  });

  it('does not let a small history trigger the size check', () => {
    const input = healthyInput();
    input.backups = {
      known: true,
      value: backupHistory(3).filter(b => b.role === 'backup'),
    };
    input.objectives.rpoMs = 24 * H;
    if (input.backups.known) input.backups.value[0].size = 10;
    expect(codes(input)).toEqual([]);
  });

  it('orders findings worst first', () => {
    const input = healthyInput();
    input.storagePolicy = { known: true, value: {} };
    input.latestDrill = { known: false, reason: 'store offline' };
    if (input.jobs.known) input.jobs.value[1].state = 'failed';
    expect(
      evaluateBackupHealth(input, NOW).findings.map(f => f.severity),
    ).toEqual(['critical', 'unknown', 'warning', 'warning']);
  });
});

describe('evaluateBackupHealth security facts', () => {
  const secure = {
    accessLogging: true,
    endpoint: 'https://s3.eu-central-1.amazonaws.com',
    credentialsSecret: {
      name: 'backup-s3-credentials',
      createdAt: at(-30 * D),
    },
  };

  it('adds nothing when logging is on, the endpoint is https and credentials are fresh', () => {
    expect(
      codes({ ...healthyInput(), security: { known: true, value: secure } }),
    ).toEqual(codes(healthyInput()));
  });

  it('warns about disabled access logging, plain HTTP and credentials older than a quarter', () => {
    const health = evaluateBackupHealth(
      {
        ...healthyInput(),
        security: {
          known: true,
          value: {
            accessLogging: false,
            endpoint: 'http://minio.storage.svc:9000',
            credentialsSecret: {
              name: 'backup-s3-credentials',
              createdAt: at(-100 * D),
            },
          },
        },
      },
      NOW,
    );
    expect(health.status).toBe('warning');
    const byCode = new Map(health.findings.map(f => [f.code, f]));
    expect(byCode.get('access-logging-disabled')?.severity).toBe('warning');
    // Named, but the internal endpoint URL itself is never shown.
    expect(byCode.get('plain-http-endpoint')).toMatchObject({
      severity: 'warning',
      message:
        'Backups are read from S3 over plain HTTP; use an https endpoint',
    });
    expect(JSON.stringify(health)).not.toContain('minio.storage.svc');
    expect(byCode.get('credentials-rotation-overdue')?.message).toMatch(
      /backup-s3-credentials is 100d old/,
    );
  });

  it.each([
    'http://127.0.0.1:4566',
    'http://localhost:9000',
    'http://[::1]:9000',
    'http://s3.localhost',
  ])(
    'tells plain HTTP to a loopback endpoint (%s) as information, not a warning',
    endpoint => {
      const health = evaluateBackupHealth(
        {
          ...healthyInput(),
          security: {
            known: true,
            value: { accessLogging: true, endpoint },
          },
        },
        NOW,
      );
      expect(health.status).toBe('healthy');
      expect(
        health.findings.find(f => f.code === 'plain-http-endpoint'),
      ).toMatchObject({
        severity: 'info',
        message: expect.stringMatching(/loopback address/),
      });
      expect(JSON.stringify(health)).not.toContain(endpoint);
    },
  );

  it.each([
    'http://127.0.0.1.example.com',
    'http://10.0.0.5:9000',
    'http://not a host',
  ])('still warns about plain HTTP to %s', endpoint => {
    const health = evaluateBackupHealth(
      {
        ...healthyInput(),
        security: { known: true, value: { accessLogging: true, endpoint } },
      },
      NOW,
    );
    expect(
      health.findings.find(f => f.code === 'plain-http-endpoint')?.severity,
    ).toBe('warning');
  });

  it('turns unreadable security facts into an unknown finding, never healthy', () => {
    const health = evaluateBackupHealth(
      { ...healthyInput(), security: { known: false, reason: 'HTTP 403' } },
      NOW,
    );
    expect(health.status).toBe('unknown');
    expect(health.findings[0].message).toContain('HTTP 403');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [50_000_000, '48 MiB'],
    [3.2 * 1024 ** 3, '3.2 GiB'],
  ])('%p bytes is %p', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
