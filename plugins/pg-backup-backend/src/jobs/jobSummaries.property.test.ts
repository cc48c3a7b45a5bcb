// Each property checks the outcome its generated case calls for, so expectations are conditional.
/* eslint-disable jest/no-conditional-expect */
import {
  BackupHealthInput,
  CronSchedule,
  DEFAULT_BACKUP_OBJECTIVES,
  evaluateBackupHealth,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { V1CronJob, V1Job } from '@kubernetes/client-node';
import fc from 'fast-check';
import { toCronJobFacts } from '../health/BackupFactsReader';
import { hostileString, runs } from '../__testUtils__/hostileValues';
import { classifyJobFailure } from './classifyJobFailure';
import { iso, toJobFacts, toJobSummary } from './jobSummaries';

const NOW = new Date('2026-03-01T12:00:00Z');

/** Timestamps as Kubernetes clients may hand them over: good, absent, null, garbage, Invalid Date. */
const oddTime = fc.oneof(
  fc.date({
    min: new Date(0),
    max: new Date('2030-01-01'),
    noInvalidDate: true,
  }),
  fc.constant(new Date(NaN)),
  fc.constantFrom(
    undefined,
    null,
    '',
    'yesterday',
    '2026-13-45T99:99:99Z',
    '0000-00-00T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map(d => d.toISOString()),
  hostileString(20),
);

const oddCount = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom(undefined, null, NaN, -Infinity, 1e300),
);

const condition = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom(
        'Failed',
        'Complete',
        'Suspended',
        'FailureTarget',
        'Weird',
      ),
      hostileString(10),
    ),
    status: fc.constantFrom('True', 'False', 'Unknown', '', 'true', undefined),
    reason: fc.oneof(
      fc.constantFrom('BackoffLimitExceeded', 'DeadlineExceeded', undefined),
      hostileString(30),
    ),
    message: fc.oneof(fc.constant(undefined), hostileString(200)),
    lastTransitionTime: oddTime,
  },
  { requiredKeys: [] },
);

/** Jobs with missing, null, negative, unknown and badly-dated status fields. */
const oddJob = fc.record(
  {
    metadata: fc.record(
      {
        name: fc.oneof(fc.constant(undefined), hostileString(20)),
        creationTimestamp: oddTime,
        annotations: fc.option(
          fc.dictionary(
            fc.constantFrom('cronjob.kubernetes.io/instantiate', 'x'),
            fc.oneof(fc.constant('manual'), hostileString(10)),
          ),
          { nil: undefined },
        ),
        ownerReferences: fc.option(
          fc.array(
            fc.record({
              kind: fc.constantFrom('CronJob', 'Job', ''),
              name: hostileString(20),
            }),
            { maxLength: 3 },
          ),
          { nil: undefined },
        ),
      },
      { requiredKeys: [] },
    ),
    status: fc.option(
      fc.record(
        {
          active: oddCount,
          succeeded: oddCount,
          failed: oddCount,
          startTime: oddTime,
          completionTime: oddTime,
          conditions: fc.option(fc.array(condition, { maxLength: 4 }), {
            nil: undefined,
          }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<V1Job>;

const oddCronJob = fc.record(
  {
    metadata: fc.record(
      { name: hostileString(20), creationTimestamp: oddTime },
      { requiredKeys: [] },
    ),
    spec: fc.record(
      {
        schedule: fc.oneof(
          fc.constantFrom(
            '0 2 * * *',
            '*/5 * * * *',
            '61 25 * * *',
            '',
            '@daily',
          ),
          hostileString(20),
        ),
        timeZone: fc.oneof(
          fc.constantFrom(undefined, 'UTC', 'Europe/Berlin', 'Mars/Olympus'),
          hostileString(10),
        ),
        suspend: fc.constantFrom(undefined, true, false),
        startingDeadlineSeconds: oddCount,
      },
      { requiredKeys: [] },
    ),
    status: fc.option(
      fc.record(
        { lastScheduleTime: oddTime, lastSuccessfulTime: oddTime },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<V1CronJob>;

const isIso = (value: string | undefined) =>
  value === undefined || new Date(value).toISOString() === value;

describe('Job and CronJob summaries of odd Kubernetes objects', () => {
  it('never throw; states are known, times valid ISO-8601 and durations finite', () => {
    fc.assert(
      fc.property(oddJob, job => {
        const facts = toJobFacts(job);
        expect(['running', 'succeeded', 'failed']).toContain(facts.state);
        expect(isIso(facts.startTime)).toBe(true);
        expect(isIso(facts.finishedAt)).toBe(true);
        const summary = toJobSummary(job, NOW);
        if (summary.durationMs !== undefined) {
          expect(Number.isFinite(summary.durationMs)).toBe(true);
          expect(summary.durationMs).toBeGreaterThanOrEqual(0);
        }
        expect(typeof summary.manual).toBe('boolean');
      }),
      { numRuns: runs(3000) },
    );
  });

  it('reads CronJobs with odd fields without throwing', () => {
    fc.assert(
      fc.property(oddCronJob, cronJob => {
        const facts = toCronJobFacts(cronJob, 'backup');
        expect(isIso(facts.createdAt)).toBe(true);
        expect(isIso(facts.lastScheduleTime)).toBe(true);
        expect(isIso(facts.lastSuccessfulTime)).toBe(true);
        expect(typeof facts.suspend).toBe('boolean');
      }),
      { numRuns: runs(2000) },
    );
  });

  it('treats an unreadable timestamp as absent (regression: Invalid Date made toISOString throw)', () => {
    expect(iso('yesterday')).toBeUndefined();
    expect(iso(new Date(NaN))).toBeUndefined();
    expect(iso('2026-03-01T12:00:00Z')).toBe('2026-03-01T12:00:00.000Z');
    expect(
      toJobSummary(
        { metadata: { name: 'j' }, status: { startTime: 'soon' as any } },
        NOW,
      ),
    ).toEqual({ name: 'j', state: 'running', manual: false, pods: [] });
  });
});

describe('classifyJobFailure with hostile evidence', () => {
  it('always classifies, with evidence of at most 500 characters', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            exitCode: oddCount as fc.Arbitrary<number | undefined>,
            containerReason: fc.oneof(
              fc.constantFrom('OOMKilled', 'Error', undefined),
              hostileString(20),
            ),
            terminationMessage: hostileString(4000),
            jobReason: fc.constantFrom(
              'DeadlineExceeded',
              'BackoffLimitExceeded',
              undefined,
              '',
            ),
            jobMessage: fc.option(hostileString(200), { nil: undefined }),
            logTail: fc.option(hostileString(4000), { nil: undefined }),
          },
          { requiredKeys: [] },
        ),
        evidence => {
          const failure = classifyJobFailure(evidence);
          expect(typeof failure.kind).toBe('string');
          expect(failure.hint.length).toBeGreaterThan(10);
          if (failure.evidence !== undefined)
            expect(failure.evidence.length).toBeLessThanOrEqual(500);
        },
      ),
      { numRuns: runs(2000) },
    );
  });
});

describe('classifyJobFailure regressions found by the properties', () => {
  it('shortens a huge deadline message or container reason to 500 characters', () => {
    const long = 'x'.repeat(5000);
    expect(
      classifyJobFailure({ jobReason: 'DeadlineExceeded', jobMessage: long })
        .evidence,
    ).toHaveLength(500);
    expect(
      classifyJobFailure({ exitCode: 137, containerReason: long }).evidence,
    ).toHaveLength(500);
  });
});

describe('health of odd Kubernetes objects', () => {
  it('never throws and is never healthy while a CronJob or Job fact is odd enough to be unreadable', () => {
    fc.assert(
      fc.property(
        fc.array(oddCronJob, { maxLength: 2 }),
        fc.array(oddJob, { maxLength: 4 }),
        (cronJobs, jobs) => {
          // The first odd CronJob is the one the annotations name.
          const cronJobFacts = cronJobs.map((c, i) => ({
            ...toCronJobFacts(c, 'backup'),
            ...(i === 0 && { name: 'postgresql-backup' }),
          }));
          const input: BackupHealthInput = {
            objectives: DEFAULT_BACKUP_OBJECTIVES,
            expectedCronJobs: { backup: 'postgresql-backup' },
            cronJobs: { known: true, value: cronJobFacts },
            jobs: { known: true, value: jobs.map(toJobFacts) },
            backups: {
              known: true,
              value: [
                {
                  key: 'postgresql/daily/qawave_20260301_020000.dump',
                  role: 'backup',
                  size: 1000,
                  lastModified: '2026-03-01T02:01:00.000Z',
                  takenAt: '2026-03-01T02:00:00.000Z',
                  complete: true,
                },
              ],
            },
            storagePolicy: {
              known: true,
              value: { expirationDays: 30, defaultEncryption: 'AES256' },
            },
            latestVerification: {
              known: true,
              value: {
                backupKey: 'postgresql/daily/qawave_20260301_020000.dump',
                verifiedAt: '2026-03-01T03:00:00.000Z',
                passed: true,
              },
            },
            latestDrill: {
              known: true,
              value: { performedAt: '2026-02-20T03:00:00.000Z', passed: true },
            },
          };
          const health = evaluateBackupHealth(input, NOW);
          expect(['healthy', 'warning', 'critical', 'unknown']).toContain(
            health.status,
          );
          // A missing CronJob, or one whose schedule or time zone cannot be read, is never healthy.
          const unreadable = cronJobFacts
            .slice(0, 1)
            .some(
              c =>
                typeof CronSchedule.parse(c.schedule, c.timeZone ?? 'UTC') ===
                'string',
            );
          if (cronJobFacts.length === 0 || unreadable)
            expect(health.status).not.toBe('healthy');
        },
      ),
      { numRuns: runs(1500) },
    );
  });
});
