export {
  DEFAULT_ADMIN_GROUPS,
  DEFAULT_APPROVER_GROUPS,
  PG_BACKUP_ROLE_PERMISSIONS,
  PgBackupRoles,
  createPgBackupOwnerDecision,
} from './PgBackupRoles';
export type { PgBackupPolicyGroups, PgBackupRole } from './PgBackupRoles';
