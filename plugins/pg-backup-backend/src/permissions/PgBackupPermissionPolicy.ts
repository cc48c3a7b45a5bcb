import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { catalogEntityPermissionResourceRef } from '@backstage/plugin-catalog-node/alpha';
import {
  pgBackupApprovePermission,
  pgBackupDrillRecordPermission,
  pgBackupFleetReadPermission,
  pgBackupLogsReadPermission,
  pgBackupReadPermission,
  pgBackupRestorePermission,
  pgBackupPermissions,
  pgBackupTriggerPermission,
} from '@internal/plugin-pg-backup-common';

/** The roles of {@link PgBackupPermissionPolicy}, from least to most trusted. */
export type PgBackupRole =
  | 'guest'
  | 'other-team'
  | 'owner'
  | 'approver'
  | 'admin';

/** Default of `pgBackup.permissions.approverGroups`. */
export const DEFAULT_APPROVER_GROUPS = ['group:default/dba-team'];
/** Default of `pgBackup.permissions.adminGroups`. */
export const DEFAULT_ADMIN_GROUPS = ['group:default/platform-team'];

/**
 * What each signed-in role may do in pg-backup; anonymous callers never reach the policy (401).
 * `guest` and `other-team` only read health; `owner` is decided per database by the catalog's
 * `IS_ENTITY_OWNER` rule on the entity's `spec.owner`. The README's permission table mirrors it.
 */
export const PG_BACKUP_ROLE_PERMISSIONS: Record<PgBackupRole, string[]> = {
  guest: [pgBackupReadPermission.name],
  'other-team': [pgBackupReadPermission.name],
  owner: [
    pgBackupReadPermission.name,
    pgBackupLogsReadPermission.name,
    pgBackupTriggerPermission.name,
    pgBackupRestorePermission.name,
    pgBackupApprovePermission.name,
    pgBackupDrillRecordPermission.name,
  ],
  approver: [
    pgBackupReadPermission.name,
    pgBackupLogsReadPermission.name,
    pgBackupApprovePermission.name,
    pgBackupFleetReadPermission.name,
  ],
  admin: pgBackupPermissions.map(p => p.name),
};

/** Groups that make a user an approver or an admin, as full group refs. */
export interface PgBackupPolicyGroups {
  approverGroups: string[];
  adminGroups: string[];
}

const normalizeGroup = (ref: string, key: string): string => {
  let parsed;
  try {
    parsed = parseEntityRef(ref, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new Error(
      `${key} has "${ref}", which is not a group ref such as group:default/dba-team: ${
        (error as Error).message
      }`,
    );
  }
  if (parsed.kind.toLocaleLowerCase('en-US') !== 'group')
    throw new Error(
      `${key} has "${ref}", which is not a group ref such as group:default/dba-team (its kind is ${parsed.kind})`,
    );
  return stringifyEntityRef(parsed).toLocaleLowerCase('en-US');
};

/**
 * The pg-backup permission policy: pg-backup permissions by role (see
 * {@link PG_BACKUP_ROLE_PERMISSIONS}); every other plugin's permission is allowed, as the
 * portal's allow-all policy did, so the catalog and the scaffolder keep working.
 */
export class PgBackupPermissionPolicy implements PermissionPolicy {
  private readonly approverGroups: Set<string>;
  private readonly adminGroups: Set<string>;

  constructor(groups: PgBackupPolicyGroups) {
    this.approverGroups = new Set(
      groups.approverGroups.map(g =>
        normalizeGroup(g, 'pgBackup.permissions.approverGroups'),
      ),
    );
    this.adminGroups = new Set(
      groups.adminGroups.map(g =>
        normalizeGroup(g, 'pgBackup.permissions.adminGroups'),
      ),
    );
  }

  /** Reads `pgBackup.permissions.approverGroups` and `adminGroups` (defaults dba-team, platform-team). */
  static fromConfig(config: Config): PgBackupPermissionPolicy {
    return new PgBackupPermissionPolicy({
      approverGroups:
        config.getOptionalStringArray('pgBackup.permissions.approverGroups') ??
        DEFAULT_APPROVER_GROUPS,
      adminGroups:
        config.getOptionalStringArray('pgBackup.permissions.adminGroups') ??
        DEFAULT_ADMIN_GROUPS,
    });
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!permission.name.startsWith('pg-backup.'))
      return { result: AuthorizeResult.ALLOW };
    if (!user) return { result: AuthorizeResult.DENY };
    const claims = user.info.ownershipEntityRefs;
    const member = (groups: Set<string>) =>
      claims.some(c => groups.has(c.toLocaleLowerCase('en-US')));
    const allowedTo = (role: PgBackupRole) =>
      PG_BACKUP_ROLE_PERMISSIONS[role].includes(permission.name);

    if (member(this.adminGroups) && allowedTo('admin'))
      return { result: AuthorizeResult.ALLOW };
    if (allowedTo('guest')) return { result: AuthorizeResult.ALLOW };
    if (member(this.approverGroups) && allowedTo('approver'))
      return { result: AuthorizeResult.ALLOW };
    if (
      allowedTo('owner') &&
      isResourcePermission(
        permission,
        catalogEntityPermissionResourceRef.resourceType,
      )
    )
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: catalogEntityPermissionResourceRef.pluginId,
        resourceType: catalogEntityPermissionResourceRef.resourceType,
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: catalogEntityPermissionResourceRef.resourceType,
          params: { claims },
        },
      };
    return { result: AuthorizeResult.DENY };
  }
}
