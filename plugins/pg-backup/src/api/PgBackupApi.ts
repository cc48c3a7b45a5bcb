import { createApiRef } from '@backstage/core-plugin-api';
import {
  BackupPage,
  EntityHealthResponse,
  JobSummary,
  StoragePolicy,
  TriggerBackupResponse,
} from '@internal/plugin-pg-backup-common';

/** What the frontend asks of the pg-backup backend. */
export interface PgBackupApi {
  /** A database's backup health, by entity ref. */
  getHealth(entityRef: string): Promise<EntityHealthResponse>;
  /** Starts a backup now (a Job from the backup CronJob). */
  triggerBackup(entityRef: string): Promise<TriggerBackupResponse>;
  /** Backups newest first, a page at a time. */
  getBackups(
    entityRef: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<BackupPage>;
  /** The bucket's lifecycle, encryption, versioning and usage for the database. */
  getStoragePolicy(entityRef: string): Promise<StoragePolicy>;
  /** One Job of the database, to follow a triggered backup. */
  getJob(entityRef: string, job: string): Promise<JobSummary>;
}

/** The pg-backup API. */
export const pgBackupApiRef = createApiRef<PgBackupApi>({
  id: 'plugin.pg-backup.service',
});
