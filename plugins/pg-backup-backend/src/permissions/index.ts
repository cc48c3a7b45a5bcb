export {
  DEFAULT_ADMIN_GROUPS,
  DEFAULT_APPROVER_GROUPS,
  PG_BACKUP_ROLE_PERMISSIONS,
  PgBackupPermissionPolicy,
} from './PgBackupPermissionPolicy';
export type {
  PgBackupPolicyGroups,
  PgBackupRole,
} from './PgBackupPermissionPolicy';
export { pgBackupPermissionPolicyModule } from './pgBackupPermissionPolicyModule';
