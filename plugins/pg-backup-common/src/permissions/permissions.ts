import {
  Permission,
  createPermission,
} from '@backstage/plugin-permission-common';

/**
 * The resource type every pg-backup permission is checked against: the database's catalog entity.
 *
 * @public
 */
export const PG_BACKUP_RESOURCE_TYPE = 'catalog-entity';

/**
 * Read a database's backup health, backups, jobs and storage policy.
 *
 * @public
 */
export const pgBackupReadPermission = createPermission({
  name: 'pg-backup.health.read',
  attributes: { action: 'read' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Read the logs of a database's backup, restore and verify jobs.
 *
 * @public
 */
export const pgBackupLogsReadPermission = createPermission({
  name: 'pg-backup.logs.read',
  attributes: { action: 'read' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Start a backup now (a Job from the database's backup CronJob).
 *
 * @public
 */
export const pgBackupTriggerPermission = createPermission({
  name: 'pg-backup.backup.create',
  attributes: { action: 'create' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Request or run a restore of a database.
 *
 * @public
 */
export const pgBackupRestorePermission = createPermission({
  name: 'pg-backup.restore.execute',
  attributes: { action: 'update' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Approve somebody else's restore request.
 *
 * @public
 */
export const pgBackupApprovePermission = createPermission({
  name: 'pg-backup.restore.approve',
  attributes: { action: 'update' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Record the outcome of a recovery drill.
 *
 * @public
 */
export const pgBackupDrillRecordPermission = createPermission({
  name: 'pg-backup.drill.create',
  attributes: { action: 'create' },
  resourceType: PG_BACKUP_RESOURCE_TYPE,
});

/**
 * Read the fleet overview (every annotated database's summary the user may read).
 *
 * @public
 */
export const pgBackupFleetReadPermission = createPermission({
  name: 'pg-backup.fleet.read',
  attributes: { action: 'read' },
});

/**
 * Every pg-backup permission, for registration with the permissions registry.
 *
 * @public
 */
export const pgBackupPermissions: Permission[] = [
  pgBackupReadPermission,
  pgBackupLogsReadPermission,
  pgBackupTriggerPermission,
  pgBackupRestorePermission,
  pgBackupApprovePermission,
  pgBackupDrillRecordPermission,
  pgBackupFleetReadPermission,
];
