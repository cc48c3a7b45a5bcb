/**
 * Frontend of pg-backup: backup health of PostgreSQL databases on their catalog pages.
 *
 * @packageDocumentation
 */

export { pgBackupPlugin, EntityPgBackupHealthCard } from './plugin';
export { pgBackupApiRef } from './api/PgBackupApi';
export type { PgBackupApi } from './api/PgBackupApi';
export { PgBackupClient } from './api/PgBackupClient';
