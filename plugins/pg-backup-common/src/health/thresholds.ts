/** Time spans and limits the health rules use. */

export const HOUR_MS = 3_600_000;

export const DAY_MS = 24 * HOUR_MS;

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

/**
 * Backup credentials older than this are due for rotation (the QAWave runbook: rotate quarterly).
 *
 * @public
 */
export const CREDENTIALS_ROTATION_MS = 90 * DAY_MS;
