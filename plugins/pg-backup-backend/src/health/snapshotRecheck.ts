import {
  BackupHealth,
  JobFacts,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/**
 * How long after a scheduled run a database keeps being rechecked although none of its Jobs was
 * seen running: the CronJob controller creates the Job a little after the scheduled time.
 */
export const RECHECK_WINDOW_MS = 3 * 60_000;

/**
 * When a database's snapshot should next be re-evaluated, outside the scheduled fleet refresh:
 * at once while one of its Jobs runs or a scheduled run has just come (so the fleet shows the
 * outcome within one recheck interval), and for a few minutes after one of its Jobs succeeded
 * while the recovery point is still older than that Job (the Job list and the S3 listing are
 * read side by side, so an evaluation can see the Job finished but not yet its backup);
 * otherwise at its next scheduled run; never when it has no schedule that runs.
 */
export function recheckTime(
  health: BackupHealth,
  jobs: readonly JobFacts[] = [],
): string | undefined {
  if (health.findings.some(f => f.code === 'job-running'))
    return health.evaluatedAt;
  const evaluated = Date.parse(health.evaluatedAt);
  const recoveryPoint = Date.parse(health.recoveryPoint?.time ?? '');
  const backupNotYetSeen = jobs.some(job => {
    const started = Date.parse(job.startTime ?? '');
    const finished = Date.parse(job.finishedAt ?? '');
    return (
      job.state === 'succeeded' &&
      evaluated - finished < RECHECK_WINDOW_MS &&
      !(recoveryPoint >= started)
    );
  });
  if (backupNotYetSeen) return health.evaluatedAt;
  const scheduled = (health.schedules ?? []).filter(
    s => s.state === 'scheduled',
  );
  const justRan = scheduled.some(
    s =>
      s.previousRun !== undefined &&
      evaluated - Date.parse(s.previousRun) < RECHECK_WINDOW_MS,
  );
  if (justRan) return health.evaluatedAt;
  return scheduled
    .map(s => s.nextRun)
    .filter((t): t is string => t !== undefined)
    .sort()[0];
}
