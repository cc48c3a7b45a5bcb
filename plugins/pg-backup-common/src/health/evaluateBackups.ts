import { formatDuration } from '../durations';
import {
  BackupHealthInput,
  BackupObjectFacts,
  BackupRole,
  HealthFinding,
  RecoveryPoint,
} from './types';
import {
  BACKUP_MISSING_AFTER_MS,
  CLOCK_SKEW_TOLERANCE_MS,
  SIZE_HISTORY,
  SMALL_BACKUP_RATIO,
} from './thresholds';
import { formatBytes } from './formatting';

/** The time a backup's data is from, corrected for skew against the object's own time. */
export function dataTime(
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

export function evaluateBackups(
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
          : newest.manifestProblem ??
            'without a manifest (interrupted, or made outside pg-backup), so nothing proves it is whole'
      }; it is not counted as a recovery point${
        newest.size > 0 && !newest.manifestProblem
          ? ' (verify it to adopt a dump made outside pg-backup)'
          : ''
      }`,
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

export function checkSizeTrend(
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
