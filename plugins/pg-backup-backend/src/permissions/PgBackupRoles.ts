import { Config } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  Permission,
  PolicyDecision,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
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
} from '@pg-backup/backstage-plugin-pg-backup-common';

/**
 * The roles of {@link PgBackupRoles}, from least to most trusted.
 *
 * @public
 */
export type PgBackupRole =
  | 'guest'
  | 'other-team'
  | 'owner'
  | 'approver'
  | 'admin';

/**
 * Default of `pgBackup.permissions.approverGroups`.
 *
 * @public
 */
export const DEFAULT_APPROVER_GROUPS = ['group:default/dba-team'];
/**
 * Default of `pgBackup.permissions.adminGroups`.
 *
 * @public
 */
export const DEFAULT_ADMIN_GROUPS = ['group:default/platform-team'];

/**
 * What each signed-in role may do in pg-backup; anonymous callers never reach the policy (401).
 * `guest` and `other-team` only read health; `owner` is decided per database by the catalog's
 * `IS_ENTITY_OWNER` rule on the entity's `spec.owner`. The README's permission table mirrors it.
 *
 * @public
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

/**
 * Groups that make a user an approver or an admin, as full group refs.
 *
 * @public
 */
export interface PgBackupPolicyGroups {
  /** Members read every database, its logs and the fleet, and approve restores. */
  approverGroups: string[];
  /** Members may do everything in pg-backup. */
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
 * The decision that lets the owners of a database do what its `owner` role allows: the catalog's
 * `IS_ENTITY_OWNER` rule on the entity's `spec.owner`, with the user's ownership claims. Return
 * it from your own policy for the pg-backup permissions you want owners to have.
 *
 * @public
 */
export function createPgBackupOwnerDecision(
  claims: string[],
): ConditionalPolicyDecision {
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
}

/**
 * pg-backup's role table ({@link PG_BACKUP_ROLE_PERMISSIONS}) for a portal's own permission
 * policy. {@link PgBackupRoles.decide} answers pg-backup's permissions and returns `undefined` for
 * every other permission, so the calling policy keeps deciding everything else:
 *
 * ```ts
 * const pgBackup = PgBackupRoles.fromConfig(config);
 * // in your PermissionPolicy's handle(request, user):
 * const decision = pgBackup.decide(request, user);
 * if (decision) return decision;
 * // ...your own rules for every other plugin
 * ```
 *
 * @public
 */
export class PgBackupRoles {
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
  static fromConfig(config: Config): PgBackupRoles {
    return new PgBackupRoles({
      approverGroups:
        config.getOptionalStringArray('pgBackup.permissions.approverGroups') ??
        DEFAULT_APPROVER_GROUPS,
      adminGroups:
        config.getOptionalStringArray('pgBackup.permissions.adminGroups') ??
        DEFAULT_ADMIN_GROUPS,
    });
  }

  /** Whether a permission is one of pg-backup's, which {@link PgBackupRoles.decide} answers. */
  static isPgBackupPermission(permission: Permission): boolean {
    return pgBackupPermissions.some(p => p.name === permission.name);
  }

  /**
   * The decision for a pg-backup permission by the user's role; `undefined` for any other
   * plugin's permission. A request without a user is denied.
   */
  decide(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): PolicyDecision | undefined {
    const { permission } = request;
    if (!PgBackupRoles.isPgBackupPermission(permission)) return undefined;
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
      return createPgBackupOwnerDecision(claims);
    return { result: AuthorizeResult.DENY };
  }
}
