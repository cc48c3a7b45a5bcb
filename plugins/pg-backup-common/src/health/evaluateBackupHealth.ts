import { formatDuration } from '../durations';
import {
  BackupHealth,
  BackupHealthInput,
  Fact,
  HealthFinding,
  HealthStatus,
  RecoveryPoint,
} from './types';
import { evaluateBackups } from './evaluateBackups';
import {
  evaluateStoragePolicy,
  evaluateSecurity,
} from './evaluateBucketAndSecurity';
import {
  evaluateDrill,
  evaluateVerification,
} from './evaluateRecoveryEvidence';
import { evaluateCronJobs, evaluateJobs } from './evaluateSchedules';
import { compareFindings } from './findingOrder';

export {
  BACKUP_MISSING_AFTER_MS,
  CLOCK_SKEW_TOLERANCE_MS,
  CREDENTIALS_ROTATION_MS,
  MISSED_RUN_GRACE_MS,
  SIZE_HISTORY,
  SMALL_BACKUP_RATIO,
} from './thresholds';
export { formatBytes } from './formatting';
export { compareFindings, findingTitle } from './findingOrder';

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

  findings.sort(compareFindings);
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
    ...(schedule && { schedules: schedule.schedules }),
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
