import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  pgBackupFleetReadPermission,
  pgBackupTriggerPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { PgBackupRoles } from '@pg-backup/backstage-plugin-pg-backup-backend';
import { PortalOwnPolicy, PortalPermissionPolicy } from './permissionPolicy';

const member = (groups: string[]): PolicyQueryUser =>
  ({
    info: {
      userEntityRef: 'user:default/someone',
      ownershipEntityRefs: ['user:default/someone', ...groups],
    },
  } as unknown as PolicyQueryUser);

const catalogDelete = createPermission({
  name: 'catalog.entity.delete',
  attributes: { action: 'delete' },
});

describe('PortalPermissionPolicy', () => {
  it('asks pg-backup for its permissions and the portal for the others', async () => {
    const own = {
      handle: jest.fn(async () => ({ result: AuthorizeResult.DENY } as const)),
    };
    const policy = new PortalPermissionPolicy(
      PgBackupRoles.fromConfig(new ConfigReader({})),
      own,
    );
    const user = member([]);
    // pg-backup's role table: a member of no team may not read the fleet.
    expect(
      await policy.handle({ permission: pgBackupFleetReadPermission }, user),
    ).toEqual({ result: AuthorizeResult.DENY });
    expect(
      (await policy.handle({ permission: pgBackupTriggerPermission }, user))
        .result,
    ).toBe(AuthorizeResult.CONDITIONAL);
    expect(own.handle).not.toHaveBeenCalled();
    // Another plugin's permission: the portal's own policy decides, with the same arguments.
    expect(await policy.handle({ permission: catalogDelete }, user)).toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(own.handle).toHaveBeenCalledWith(
      { permission: catalogDelete },
      user,
    );
  });

  it('lets the demo portal allow other plugins and make platform-team pg-backup admins', async () => {
    const policy = new PortalPermissionPolicy(
      PgBackupRoles.fromConfig(new ConfigReader({})),
      new PortalOwnPolicy(),
    );
    expect(
      await policy.handle({ permission: catalogDelete }, member([])),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    expect(
      await policy.handle(
        { permission: pgBackupFleetReadPermission },
        member(['group:default/platform-team']),
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });
});
