import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  pgBackupFleetReadPermission,
  pgBackupPermissions,
  pgBackupReadPermission,
  pgBackupTriggerPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { PgBackupRoles } from './PgBackupRoles';

const user = (ref: string, groups: string[]): PolicyQueryUser =>
  ({
    identity: {
      type: 'user',
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...groups],
    },
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
    token: 'unused',
    credentials: {} as PolicyQueryUser['credentials'],
  } as PolicyQueryUser);

describe('PgBackupRoles', () => {
  const policy = PgBackupRoles.fromConfig(new ConfigReader({}));

  it('leaves other plugins’ permissions to the calling policy', async () => {
    const catalogRead = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    expect(
      policy.decide({ permission: catalogRead }, user('user:default/x', [])),
    ).toBeUndefined();
    // A name in pg-backup's namespace that pg-backup does not define is not decided either.
    const unknown = createPermission({
      name: 'pg-backup.unknown.read',
      attributes: { action: 'read' },
    });
    expect(policy.decide({ permission: unknown })).toBeUndefined();
  });

  it('denies every pg-backup permission without a user', async () => {
    for (const permission of pgBackupPermissions)
      expect(policy.decide({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
  });

  it('gives a member of no team health.read only', async () => {
    const guest = user('user:default/newcomer', []);
    expect(
      policy.decide({ permission: pgBackupReadPermission }, guest),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      policy.decide({ permission: pgBackupFleetReadPermission }, guest),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
    // Acting permissions are left to ownership: the catalog's IS_ENTITY_OWNER with the user's claims.
    expect(
      policy.decide({ permission: pgBackupTriggerPermission }, guest),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: { claims: ['user:default/newcomer'] },
      },
    });
  });

  it('reads approver and admin groups from config, in any case and short form', async () => {
    const configured = PgBackupRoles.fromConfig(
      new ConfigReader({
        pgBackup: {
          permissions: {
            approverGroups: ['DBAs'],
            adminGroups: ['group:ops/SRE'],
          },
        },
      }),
    );
    const dba = user('user:default/d', ['group:default/dbas']);
    const sre = user('user:default/s', ['group:ops/sre']);
    expect(
      configured.decide({ permission: pgBackupFleetReadPermission }, dba),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      configured.decide({ permission: pgBackupTriggerPermission }, dba)?.result,
    ).toBe(AuthorizeResult.CONDITIONAL);
    expect(
      configured.decide({ permission: pgBackupTriggerPermission }, sre),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    // The defaults no longer apply.
    const platform = user('user:default/p', ['group:default/platform-team']);
    expect(
      configured.decide({ permission: pgBackupFleetReadPermission }, platform),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('names a configured group that is not a group ref', () => {
    expect(() =>
      PgBackupRoles.fromConfig(
        new ConfigReader({
          pgBackup: { permissions: { adminGroups: ['a:b:c/d'] } },
        }),
      ),
    ).toThrow(
      /pgBackup.permissions.adminGroups has "a:b:c\/d", which is not a group ref/,
    );
  });
});
