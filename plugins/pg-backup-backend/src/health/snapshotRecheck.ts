import { BackupHealth } from '@pg-backup/backstage-plugin-pg-backup-common';

/**
 * How long after a scheduled run a database keeps being rechecked although none of its Jobs was
 * seen running: the CronJob controller creates the Job a little after the scheduled time.
 */
export const RECHECK_WINDOW_MS = 3 * 60_000;

/**
 * When a database's snapshot should next be re-evaluated, outside the scheduled fleet refresh:
 * at once while one of its Jobs runs or a scheduled run has just come (so the fleet shows the
 * outcome within one recheck interval), otherwise at its next scheduled run; never when it has
 * no schedule that runs.
 */
export function recheckTime(health: BackupHealth): string | undefined {
  if (health.findings.some(f => f.code === 'job-running'))
    return health.evaluatedAt;
  const evaluated = Date.parse(health.evaluatedAt);
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
