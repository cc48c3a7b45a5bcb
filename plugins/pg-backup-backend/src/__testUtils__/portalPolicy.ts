import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { PgBackupRoles } from '../permissions';

/**
 * The permission policy of the test portals: pg-backup's role table for pg-backup's permissions
 * and allow for every other plugin's, composed as the demo portal (packages/backend) and the
 * README compose it.
 */
export const portalPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'test-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        const pgBackup = PgBackupRoles.fromConfig(config);
        policy.setPolicy({
          async handle(request, user) {
            return (
              pgBackup.decide(request, user) ?? {
                result: AuthorizeResult.ALLOW,
              }
            );
          },
        });
      },
    });
  },
});
