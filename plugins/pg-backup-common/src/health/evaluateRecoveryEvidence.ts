import { formatDuration } from '../durations';
import { BackupHealthInput, BackupObjectFacts, HealthFinding } from './types';

export function evaluateVerification(
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

export function evaluateDrill(
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
