/**
 * Backend of pg-backup: backup health, backups, jobs, logs and "back up now" for PostgreSQL
 * databases annotated in the catalog.
 *
 * @packageDocumentation
 */

export { pgBackupPlugin as default } from './plugin';
