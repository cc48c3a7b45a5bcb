/**
 * Frontend of pg-backup: backup health of PostgreSQL databases on their catalog pages, a
 * backups tab, a fleet dashboard and a backup picker for scaffolder templates.
 *
 * @packageDocumentation
 */

export {
  pgBackupPlugin,
  EntityPgBackupHealthCard,
  EntityPgBackupContent,
  PgBackupFleetPage,
  BackupPickerFieldExtension,
} from './plugin';
export { pgBackupApiRef } from './api/PgBackupApi';
export type { FleetFilter, LogOptions, PgBackupApi } from './api/PgBackupApi';
export { PgBackupClient } from './api/PgBackupClient';
export type { BackupPickerUiOptions } from './components/BackupPicker';
