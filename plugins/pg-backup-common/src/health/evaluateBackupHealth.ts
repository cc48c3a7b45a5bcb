import { formatDuration } from '../durations';
import { CronSchedule } from '../schedule/CronSchedule';
import {
  BackupHealth,
  BackupHealthInput,
  BackupObjectFacts,
  BackupRole,
  CronJobFacts,
  Fact,
  FindingSeverity,
  HealthFinding,
  HealthStatus,
  JobFacts,
  RecoveryPoint,
  SecurityFacts,
} from './types';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The QAWave runbook's alert: no full backup for this long is critical whatever the RPO.
 *
 * @public
 */
export const BACKUP_MISSING_AFTER_MS = 36 * HOUR_MS;
/**
 * Clock differences up to this are tolerated between the backend, the cluster and S3.
 *
 * @public
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60_000;
/**
 * A run is missed once it is this late (unless the CronJob sets startingDeadlineSeconds).
 *
 * @public
 */
export const MISSED_RUN_GRACE_MS = 10 * 60_000;
/**
 * A backup smaller than this share of the median of the previous ones is suspicious.
 *
 * @public
 */
export const SMALL_BACKUP_RATIO = 0.5;
/**
 * How many earlier backups the size comparison uses, and the fewest it needs.
 *
 * @public
 */
export const SIZE_HISTORY = { window: 7, minimum: 3 } as const;

const SEVERITY_RANK: Record<FindingSeverity, number> = {
  critical: 0,
  unknown: 1,
  warning: 2,
  info: 3,
};

const FACT_LABELS: Record<string, string> = {
  cronJobs: 'Kubernetes CronJobs',
  jobs: 'Kubernetes Jobs',
  backups: 'backup objects in S3',
  storagePolicy: 'the bucket lifecycle and encryption settings',
  latestVerification: 'verification records',
  latestDrill: 'drill records',
  security: 'the bucket logging and credential settings',
};

/**
 * Backup credentials older than this are due for rotation (the QAWave runbook: rotate quarterly).
 *
 * @public
 */
export const CREDENTIALS_ROTATION_MS = 90 * DAY_MS;

/**
 * Evaluates a database's backup health against its objectives at `now`. Pure: the same input
 * and time always give the same result. A fact that could not be read yields an `unknown`
 * finding and the status can then be `unknown` or `critical`, never `healthy` or `warning`.
 *
 * @public
 */
export function evaluateBackupHealth(
  input: BackupHealthInput,
  now: Date,
): BackupHealth {
  const findings: HealthFinding[] = [];
  const add = (finding: HealthFinding) => findings.push(finding);

  for (const [name, fact] of Object.entries(input) as [string, unknown][]) {
    const maybeFact = fact as Fact<unknown>;
    if (FACT_LABELS[name] && maybeFact?.known === false) {
      add({
        code: 'fact-unavailable',
        severity: 'unknown',
        subject: name,
        message: `Could not read ${FACT_LABELS[name]}: ${maybeFact.reason}`,
      });
    }
  }

  const recovery = input.backups.known
    ? evaluateBackups(input, input.backups.value, now, add)
    : undefined;
  const schedule = input.cronJobs.known
    ? evaluateCronJobs(input, input.cronJobs.value, now, add)
    : undefined;
  if (input.jobs.known) evaluateJobs(input, input.jobs.value, add);
  if (input.storagePolicy.known)
    evaluateStoragePolicy(input, input.storagePolicy.value, add);
  if (input.latestVerification.known) {
    evaluateVerification(
      input.latestVerification.value,
      recovery?.newestFull,
      add,
    );
  }
  if (input.latestDrill.known)
    evaluateDrill(input, input.latestDrill.value, now, add);
  if (input.security?.known) evaluateSecurity(input.security.value, now, add);

  findings.sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity],
  );
  const status = statusOf(findings);
  const recoveryPoint = recovery?.point;
  const rpoMet = recovery
    ? recoveryPoint !== undefined &&
      recoveryPoint.ageMs <= input.objectives.rpoMs
    : undefined;
  return {
    status,
    summary: summarize(status, findings, recoveryPoint, input),
    ...(recoveryPoint && { recoveryPoint }),
    ...(rpoMet !== undefined && { rpoMet }),
    ...(schedule?.nextRun && { nextRun: schedule.nextRun.toISOString() }),
    missedRuns: schedule?.missedRuns ?? 0,
    findings,
    evaluatedAt: now.toISOString(),
  };
}

function statusOf(findings: HealthFinding[]): HealthStatus {
  const severities = new Set(findings.map(f => f.severity));
  if (severities.has('critical')) return 'critical';
  if (severities.has('unknown')) return 'unknown';
  if (severities.has('warning')) return 'warning';
  return 'healthy';
}

function summarize(
  status: HealthStatus,
  findings: HealthFinding[],
  point: RecoveryPoint | undefined,
  input: BackupHealthInput,
): string {
  if (status !== 'healthy') return findings[0].message;
  return point
    ? `Last good backup ${formatDuration(
        point.ageMs,
      )} ago — within RPO ${formatDuration(input.objectives.rpoMs)}`
    : 'Healthy';
}

/** The time a backup's data is from, corrected for skew against the object's own time. */
function dataTime(
  backup: BackupObjectFacts,
  add: (f: HealthFinding) => void,
): number {
  const modified = Date.parse(backup.lastModified);
  const taken = backup.takenAt === undefined ? NaN : Date.parse(backup.takenAt);
  if (Number.isNaN(taken)) return modified;
  if (taken > modified + CLOCK_SKEW_TOLERANCE_MS) {
    add({
      code: 'clock-skew',
      severity: 'warning',
      subject: backup.key,
      message: `Backup ${backup.key} claims to be taken at ${backup.takenAt}, after it was stored (${backup.lastModified}); clocks are skewed, so its storage time is used`,
    });
    return modified;
  }
  return taken;
}

function evaluateBackups(
  input: BackupHealthInput,
  backups: BackupObjectFacts[],
  now: Date,
  add: (f: HealthFinding) => void,
): {
  point?: RecoveryPoint;
  newestFull?: BackupObjectFacts & { time: number };
} {
  const timed = backups
    .map(b => ({ ...b, time: dataTime(b, add) }))
    .filter(b => !Number.isNaN(b.time))
    .sort((a, b) => b.time - a.time);
  const { rpoMs } = input.objectives;

  if (timed.length === 0) {
    add({
      code: 'no-backups',
      severity: 'critical',
      message: 'No backups found: the database cannot be recovered',
    });
    return {};
  }

  const usable = timed.filter(b => b.complete !== false && b.size > 0);
  const newest = timed[0];
  if (newest !== usable[0]) {
    add({
      code: 'backup-incomplete',
      severity: 'warning',
      subject: newest.key,
      message: `Newest backup ${newest.key} is ${
        newest.size === 0
          ? 'empty'
          : newest.manifestProblem ?? 'incomplete (no valid manifest)'
      }; it is not counted as a recovery point`,
    });
  }

  for (const role of ['backup', 'checkpoint'] as BackupRole[]) {
    checkSizeTrend(
      timed.filter(b => b.role === role && b.complete !== false),
      add,
    );
  }

  let point: RecoveryPoint | undefined;
  if (usable.length === 0) {
    add({
      code: 'no-backups',
      severity: 'critical',
      message: `None of the ${timed.length} backup objects is complete: the database cannot be recovered`,
    });
  } else {
    const best = usable[0];
    let ageMs = now.getTime() - best.time;
    if (ageMs < -CLOCK_SKEW_TOLERANCE_MS) {
      add({
        code: 'clock-skew',
        severity: 'warning',
        subject: best.key,
        message: `Newest backup ${best.key} is dated ${formatDuration(
          -ageMs,
        )} in the future; clocks are skewed`,
      });
    }
    ageMs = Math.max(0, ageMs);
    point = {
      time: new Date(best.time).toISOString(),
      ageMs,
      key: best.key,
      role: best.role,
      size: best.size,
    };
    if (ageMs > rpoMs) {
      add({
        code: 'rpo-exceeded',
        severity: 'critical',
        subject: best.key,
        message: `Last good backup ${formatDuration(
          ageMs,
        )} ago — RPO ${formatDuration(rpoMs)} exceeded`,
      });
    }
  }

  const newestFull = usable.find(b => b.role === 'backup');
  const fullAgeMs = newestFull ? now.getTime() - newestFull.time : Infinity;
  if (fullAgeMs > BACKUP_MISSING_AFTER_MS) {
    add({
      code: 'backup-missing',
      severity: 'critical',
      message: newestFull
        ? `No full backup for ${formatDuration(
            fullAgeMs,
          )} (alert threshold 36h); the last one is ${newestFull.key}`
        : 'No complete full backup exists (alert threshold 36h)',
    });
  }
  return { point, newestFull };
}

function checkSizeTrend(
  newestFirst: BackupObjectFacts[],
  add: (f: HealthFinding) => void,
): void {
  const [latest, ...earlier] = newestFirst;
  if (!latest) return;
  if (latest.size === 0) {
    add({
      code: 'backup-too-small',
      severity: 'critical',
      subject: latest.key,
      message: `Latest ${latest.role} ${latest.key} is empty (0 bytes)`,
    });
    return;
  }
  const history = earlier
    .slice(0, SIZE_HISTORY.window)
    .map(b => b.size)
    .filter(size => size > 0);
  if (history.length < SIZE_HISTORY.minimum) return;
  const sorted = [...history].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  if (latest.size < median * SMALL_BACKUP_RATIO) {
    add({
      code: 'backup-too-small',
      severity: 'critical',
      subject: latest.key,
      message: `Latest ${latest.role} ${latest.key} is ${formatBytes(
        latest.size,
      )}, ${Math.round(
        (latest.size / median) * 100,
      )}% of the median of the previous ${history.length} (${formatBytes(
        median,
      )}): it may be empty or truncated`,
    });
  }
}

function evaluateCronJobs(
  input: BackupHealthInput,
  cronJobs: CronJobFacts[],
  now: Date,
  add: (f: HealthFinding) => void,
): { nextRun?: Date; missedRuns: number } {
  let nextRun: Date | undefined;
  let missedRuns = 0;
  const expected: [BackupRole, string | undefined][] = [
    ['backup', input.expectedCronJobs.backup],
    ['checkpoint', input.expectedCronJobs.checkpoint],
  ];
  for (const [role, name] of expected) {
    if (!name) continue;
    const cronJob = cronJobs.find(c => c.name === name);
    if (!cronJob) {
      add({
        code: 'cronjob-missing',
        severity: role === 'backup' ? 'critical' : 'warning',
        subject: name,
        message: `The ${role} CronJob ${name} does not exist in the cluster`,
      });
      continue;
    }
    if (cronJob.suspend) {
      add({
        code: 'cronjob-suspended',
        severity: 'warning',
        subject: name,
        message: `The ${role} CronJob ${name} is suspended: no new ${
          role === 'backup' ? 'backups' : 'checkpoints'
        } will be taken`,
      });
    }
    const schedule = CronSchedule.parse(
      cronJob.schedule,
      cronJob.timeZone ?? 'UTC',
    );
    if (typeof schedule === 'string') {
      add({
        code: 'invalid-schedule',
        severity: 'warning',
        subject: name,
        message: `CronJob ${name}: ${schedule}`,
      });
      continue;
    }
    if (cronJob.suspend) continue;
    const next = schedule.nextAfter(now);
    if (next && (!nextRun || next < nextRun)) nextRun = next;

    const since = cronJob.lastScheduleTime ?? cronJob.createdAt;
    if (!since || Number.isNaN(Date.parse(since))) continue;
    const graceMs =
      cronJob.startingDeadlineSeconds !== undefined
        ? cronJob.startingDeadlineSeconds * 1000
        : MISSED_RUN_GRACE_MS;
    const missed = schedule.timesBetween(
      new Date(since),
      new Date(now.getTime() - graceMs),
    );
    if (missed.length > 0) {
      missedRuns += missed.length;
      add({
        code: 'missed-runs',
        severity: 'warning',
        subject: name,
        message: `CronJob ${name} missed ${
          missed.length >= 100 ? 'at least 100' : missed.length
        } scheduled run${
          missed.length === 1 ? '' : 's'
        }, the first at ${missed[0].toISOString()}`,
      });
    }
  }
  return { nextRun, missedRuns };
}

function evaluateJobs(
  input: BackupHealthInput,
  jobs: JobFacts[],
  add: (f: HealthFinding) => void,
): void {
  const roles: [BackupRole, string | undefined][] = [
    ['backup', input.expectedCronJobs.backup],
    ['checkpoint', input.expectedCronJobs.checkpoint],
  ];
  for (const [role, cronJob] of roles) {
    if (!cronJob) continue;
    const own = jobs.filter(j => j.cronJob === cronJob);
    for (const running of own.filter(j => j.state === 'running')) {
      add({
        code: 'job-running',
        severity: 'info',
        subject: running.name,
        message: `Job ${running.name} is running${
          running.startTime ? ` since ${running.startTime}` : ''
        }`,
      });
    }
    const finished = own
      .filter(j => j.state !== 'running')
      .sort(
        (a, b) =>
          jobTime(b) - jobTime(a) ||
          startTime(b) - startTime(a) ||
          // Same second for both (Kubernetes times have whole seconds): the failure counts.
          Number(b.state === 'failed') - Number(a.state === 'failed'),
      );
    const last = finished[0];
    if (last?.state === 'failed') {
      add({
        code: 'last-job-failed',
        severity: role === 'backup' ? 'critical' : 'warning',
        subject: last.name,
        message: `Last ${role} job ${last.name} failed${
          last.failureReason ? `: ${last.failureReason}` : ''
        }`,
      });
    }
  }
}

function startTime(job: JobFacts): number {
  const t = Date.parse(job.startTime ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}

function jobTime(job: JobFacts): number {
  const t = Date.parse(job.finishedAt ?? job.startTime ?? '');
  return Number.isNaN(t) ? -Infinity : t;
}

function evaluateStoragePolicy(
  input: BackupHealthInput,
  policy: { expirationDays?: number; defaultEncryption?: string },
  add: (f: HealthFinding) => void,
): void {
  const objectiveDays = input.objectives.retentionMs / DAY_MS;
  if (policy.expirationDays === undefined) {
    add({
      code: 'retention-missing',
      severity: 'warning',
      message: `No lifecycle rule expires the backups; the retention objective is ${formatDays(
        objectiveDays,
      )}`,
    });
  } else if (Math.abs(policy.expirationDays - objectiveDays) >= 1) {
    const shorter = policy.expirationDays < objectiveDays;
    add({
      code: 'retention-mismatch',
      severity: 'warning',
      message: `Lifecycle rule expires backups after ${formatDays(
        policy.expirationDays,
      )}, but the retention objective is ${formatDays(objectiveDays)}${
        shorter
          ? ': backups are deleted too early'
          : ': backups are kept longer than the policy allows'
      }`,
    });
  }
  if (!policy.defaultEncryption) {
    add({
      code: 'encryption-missing',
      severity: 'warning',
      message: 'The bucket has no default server-side encryption',
    });
  }
}

function evaluateSecurity(
  security: SecurityFacts,
  now: Date,
  add: (f: HealthFinding) => void,
): void {
  if (!security.accessLogging) {
    add({
      code: 'access-logging-disabled',
      severity: 'warning',
      message:
        'S3 server access logging is off for the bucket: reads of the backups are not audited',
    });
  }
  if (/^http:\/\//i.test(security.endpoint)) {
    add({
      code: 'plain-http-endpoint',
      severity: 'warning',
      subject: 'S3 endpoint',
      // The endpoint itself is an internal URL: it stays out of what the portal shows.
      message:
        'Backups are read from S3 over plain HTTP; use an https endpoint',
    });
  }
  const secret = security.credentialsSecret;
  if (secret) {
    const ageMs = now.getTime() - Date.parse(secret.createdAt);
    if (ageMs > CREDENTIALS_ROTATION_MS) {
      add({
        code: 'credentials-rotation-overdue',
        severity: 'warning',
        subject: secret.name,
        message: `Backup credentials Secret ${secret.name} is ${formatDuration(
          ageMs,
        )} old; rotate it at least every ${formatDuration(
          CREDENTIALS_ROTATION_MS,
        )}`,
      });
    }
  }
}

function evaluateVerification(
  verification:
    | {
        backupKey: string;
        verifiedAt: string;
        passed: boolean;
        summary?: string;
      }
    | undefined,
  newestFull: (BackupObjectFacts & { time: number }) | undefined,
  add: (f: HealthFinding) => void,
): void {
  if (!verification) {
    add({
      code: 'backup-never-verified',
      severity: 'warning',
      message: 'No backup has ever been verified by a restore',
    });
    return;
  }
  if (!verification.passed) {
    add({
      code: 'verification-failed',
      severity: 'critical',
      subject: verification.backupKey,
      message: `Verification of ${verification.backupKey} failed${
        verification.summary ? `: ${verification.summary}` : ''
      }`,
    });
    return;
  }
  if (
    newestFull &&
    newestFull.key !== verification.backupKey &&
    Date.parse(verification.verifiedAt) < newestFull.time
  ) {
    add({
      code: 'latest-backup-unverified',
      severity: 'info',
      subject: newestFull.key,
      message: `Latest backup ${newestFull.key} is not verified yet; ${verification.backupKey} was verified at ${verification.verifiedAt}`,
    });
  }
}

function evaluateDrill(
  input: BackupHealthInput,
  drill:
    | { performedAt: string; passed: boolean; measuredRtoMs?: number }
    | undefined,
  now: Date,
  add: (f: HealthFinding) => void,
): void {
  const { drillIntervalMs, rtoMs } = input.objectives;
  if (!drill) {
    add({
      code: 'drill-never-run',
      severity: 'warning',
      message: `No recovery drill has been recorded; one is due every ${formatDuration(
        drillIntervalMs,
      )}`,
    });
    return;
  }
  const ageMs = now.getTime() - Date.parse(drill.performedAt);
  if (ageMs > drillIntervalMs) {
    add({
      code: 'drill-overdue',
      severity: 'warning',
      message: `Last recovery drill was ${formatDuration(
        ageMs,
      )} ago; one is due every ${formatDuration(drillIntervalMs)}`,
    });
  }
  if (!drill.passed) {
    add({
      code: 'drill-failed',
      severity: 'critical',
      message: `The last recovery drill (${drill.performedAt}) failed`,
    });
  } else if (drill.measuredRtoMs !== undefined && drill.measuredRtoMs > rtoMs) {
    add({
      code: 'drill-rto-exceeded',
      severity: 'warning',
      message: `The last drill took ${formatDuration(
        drill.measuredRtoMs,
      )} to recover, above the RTO of ${formatDuration(rtoMs)}`,
    });
  }
}

function formatDays(days: number): string {
  return `${Number.isInteger(days) ? days : days.toFixed(1)} day${
    days === 1 ? '' : 's'
  }`;
}

/**
 * Formats a byte count for people: `512 B`, `1.5 KiB`, `3.2 GiB`.
 *
 * @public
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
