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
} from '@internal/plugin-pg-backup-common';
import { PgBackupPermissionPolicy } from './PgBackupPermissionPolicy';

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

describe('PgBackupPermissionPolicy', () => {
  const policy = PgBackupPermissionPolicy.fromConfig(new ConfigReader({}));

  it('allows other plugins’ permissions, as the allow-all policy did', async () => {
    const catalogRead = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    expect(
      await policy.handle(
        { permission: catalogRead },
        user('user:default/x', []),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('denies every pg-backup permission without a user', async () => {
    for (const permission of pgBackupPermissions)
      expect(await policy.handle({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
  });

  it('gives a member of no team health.read only', async () => {
    const guest = user('user:default/newcomer', []);
    expect(
      await policy.handle({ permission: pgBackupReadPermission }, guest),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle({ permission: pgBackupFleetReadPermission }, guest),
    ).toEqual({
      result: AuthorizeResult.DENY,
    });
    // Acting permissions are left to ownership: the catalog's IS_ENTITY_OWNER with the user's claims.
    expect(
      await policy.handle({ permission: pgBackupTriggerPermission }, guest),
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
    const configured = PgBackupPermissionPolicy.fromConfig(
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
      await configured.handle({ permission: pgBackupFleetReadPermission }, dba),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      (await configured.handle({ permission: pgBackupTriggerPermission }, dba))
        .result,
    ).toBe(AuthorizeResult.CONDITIONAL);
    expect(
      await configured.handle({ permission: pgBackupTriggerPermission }, sre),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    // The defaults no longer apply.
    const platform = user('user:default/p', ['group:default/platform-team']);
    expect(
      await configured.handle(
        { permission: pgBackupFleetReadPermission },
        platform,
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
  });

  it('names a configured group that is not a group ref', () => {
    expect(() =>
      PgBackupPermissionPolicy.fromConfig(
        new ConfigReader({
          pgBackup: { permissions: { adminGroups: ['a:b:c/d'] } },
        }),
      ),
    ).toThrow(
      /pgBackup.permissions.adminGroups has "a:b:c\/d", which is not a group ref/,
    );
  });
});
