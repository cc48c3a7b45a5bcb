import { createApiRef } from '@backstage/core-plugin-api';
import {
  EntityHealthResponse,
  TriggerBackupResponse,
} from '@internal/plugin-pg-backup-common';

/** What the frontend asks of the pg-backup backend. */
export interface PgBackupApi {
  /** A database's backup health, by entity ref. */
  getHealth(entityRef: string): Promise<EntityHealthResponse>;
  /** Starts a backup now (a Job from the backup CronJob). */
  triggerBackup(entityRef: string): Promise<TriggerBackupResponse>;
}

/** The pg-backup API. */
export const pgBackupApiRef = createApiRef<PgBackupApi>({
  id: 'plugin.pg-backup.service',
});
