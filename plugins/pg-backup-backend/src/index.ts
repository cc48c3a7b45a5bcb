/**
 * Backend of pg-backup: backup health, backups, jobs, logs, "back up now" and recovery operations
 * (restore, verify, emergency recovery, drill) with approvals for PostgreSQL databases annotated
 * in the catalog.
 *
 * @packageDocumentation
 */

export { pgBackupPlugin as default } from './plugin';
export * from './permissions';
