import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { PgBackupRoles } from '@pg-backup/backstage-plugin-pg-backup-backend';

/**
 * This portal's own rules for every plugin other than pg-backup: a demo portal with guest
 * sign-in, so everything is allowed. A production portal keeps its own policy here.
 */
export class PortalOwnPolicy implements PermissionPolicy {
  async handle() {
    return { result: AuthorizeResult.ALLOW } as const;
  }
}

/**
 * The portal's permission policy: pg-backup's permissions by pg-backup's role table (see the
 * README's Security section), everything else by the portal's own policy, unchanged. This is how
 * the README tells an adopter to wrap an existing policy.
 */
export class PortalPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly pgBackup: PgBackupRoles,
    private readonly own: PermissionPolicy,
  ) {}

  async handle(request: PolicyQuery, user?: PolicyQueryUser) {
    return (
      this.pgBackup.decide(request, user) ?? this.own.handle(request, user)
    );
  }
}

/** Installs {@link PortalPermissionPolicy} with {@link PortalOwnPolicy} in the permission backend. */
export const portalPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new PortalPermissionPolicy(
            PgBackupRoles.fromConfig(config),
            new PortalOwnPolicy(),
          ),
        );
      },
    });
  },
});
