/**
 * Domain core of pg-backup: annotations and backup targets, backup keys, CronJob schedules and
 * the health rules. Isomorphic: used by the backend, the frontend and the scaffolder module.
 *
 * @packageDocumentation
 */

export * from './target/annotations';
export * from './target/BackupTarget';
export * from './storage/backupKeys';
export * from './schedule/CronSchedule';
export * from './schedule/describeSchedule';
export { checkTimeZone, zonedWallClockToUtc } from './schedule/zonedTime';
export type { WallClock } from './schedule/zonedTime';
export * from './health/types';
export * from './health/evaluateBackupHealth';
export * from './durations';
export * from './names';
export * from './permissions/permissions';
export * from './api/types';
export * from './api/recovery';
export * from './shownValue';
