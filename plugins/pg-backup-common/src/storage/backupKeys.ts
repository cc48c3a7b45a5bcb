import { checkTimeZone, zonedWallClockToUtc } from '../schedule/zonedTime';
import { shownValue } from '../shownValue';

/**
 * How a backup's time was established.
 *
 * @public
 */
export type BackupTimeSource = 'key' | 'object';

/**
 * A backup object key split into its parts.
 *
 * @public
 */
export interface ParsedBackupKey {
  /** The full object key. */
  key: string;
  /** The last path segment. */
  fileName: string;
  /** `runbook` for `<db>_YYYYMMDD_HHMMSS.dump`, `generic` for anything else. */
  format: 'runbook' | 'generic';
  /** Database name from a runbook-format key. */
  database?: string;
  /** When the dump was taken, from a runbook-format key (ISO-8601, UTC). */
  takenAt?: string;
  /** Why a key that looks like the runbook's format could not be read as one. */
  problem?: string;
}

const RUNBOOK_KEY =
  /^(?<db>[A-Za-z0-9_-]+?)_(?<date>\d{8})_(?<time>\d{6})\.dump$/;
const RUNBOOK_LIKE = /_\d+_\d+\.dump$/;

/**
 * Parses a backup key. Runbook-format names (`qawave_20260130_020000.dump`) carry the time the dump
 * started, read in `timeZone` (default UTC: the backup containers run in UTC). Any other key is
 * `generic`, and its time comes from the object's last-modified time.
 *
 * @public
 */
export function parseBackupKey(
  key: string,
  options: { timeZone?: string } = {},
): ParsedBackupKey {
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const match = RUNBOOK_KEY.exec(fileName);
  if (!match?.groups) {
    return RUNBOOK_LIKE.test(fileName)
      ? {
          key,
          fileName,
          format: 'generic',
          problem: `"${fileName}" looks like <database>_YYYYMMDD_HHMMSS.dump but is not; its time is taken from the object`,
        }
      : { key, fileName, format: 'generic' };
  }
  const { db, date, time } = match.groups;
  const wall = {
    year: Number(date.slice(0, 4)),
    month: Number(date.slice(4, 6)),
    day: Number(date.slice(6, 8)),
    hour: Number(time.slice(0, 2)),
    minute: Number(time.slice(2, 4)),
    second: Number(time.slice(4, 6)),
  };
  const check = new Date(
    Date.UTC(
      wall.year,
      wall.month - 1,
      wall.day,
      wall.hour,
      wall.minute,
      wall.second,
    ),
  );
  const valid =
    wall.year >= 1970 &&
    check.getUTCFullYear() === wall.year &&
    check.getUTCMonth() === wall.month - 1 &&
    check.getUTCDate() === wall.day &&
    check.getUTCHours() === wall.hour &&
    check.getUTCMinutes() === wall.minute &&
    check.getUTCSeconds() === wall.second;
  if (!valid) {
    return {
      key,
      fileName,
      format: 'generic',
      database: db,
      problem: `"${date}_${time}" in "${fileName}" is not a valid date and time (YYYYMMDD_HHMMSS); its time is taken from the object`,
    };
  }
  const timeZone = options.timeZone ?? 'UTC';
  const zoneProblem = checkTimeZone(timeZone);
  if (zoneProblem) throw new TypeError(zoneProblem);
  return {
    key,
    fileName,
    format: 'runbook',
    database: db,
    takenAt: new Date(zonedWallClockToUtc(wall, timeZone)).toISOString(),
  };
}

/**
 * Formats the QAWave runbook's key for a database and instant: `<prefix><db>_YYYYMMDD_HHMMSS.dump` (UTC).
 *
 * @public
 */
export function formatBackupKey(
  prefix: string,
  database: string,
  at: Date,
): string {
  const iso = at.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(
    8,
    10,
  )}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${prefix}${database}_${stamp}.dump`;
}

/**
 * Checks that a key requested by a user (e.g. a backup to restore) is a plain object under the
 * target's prefix: no `..` or empty segments, no control or backslash characters, valid Unicode,
 * at most 1024 bytes, ending in a file name. Returns the problem, or undefined.
 *
 * @public
 */
export function checkBackupKey(
  key: string,
  prefix: string,
): string | undefined {
  const shown = shownValue(key);
  if (new TextEncoder().encode(key).length > 1024) {
    return `backup key "${shown}" is longer than S3's limit of 1024 bytes`;
  }
  if (!key.startsWith(prefix)) {
    return `backup key "${shown}" is not under this database's prefix "${prefix}"`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(key)) {
    return `backup key "${shown}" contains control characters or '\\'`;
  }
  // A lone UTF-16 surrogate has no UTF-8 form, so S3 could never store or find such a key.
  if (
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(
      key,
    )
  ) {
    return `backup key "${shown}" is not valid Unicode (it holds a lone surrogate); expected UTF-8 text`;
  }
  const rest = key.slice(prefix.length);
  if (
    rest === '' ||
    rest.split('/').some(s => s === '' || s === '.' || s === '..')
  ) {
    return `backup key "${shown}" must name an object directly under "${prefix}" without empty, "." or ".." segments`;
  }
  if (rest.includes('/')) {
    return `backup key "${shown}" is in a sub-folder of "${prefix}"; only objects directly under the prefix are backups`;
  }
  return undefined;
}
