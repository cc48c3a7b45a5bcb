import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { PgBackupPermissionPolicy } from './PgBackupPermissionPolicy';

/**
 * Installs {@link PgBackupPermissionPolicy} in the permission backend, in place of the
 * allow-all policy module.
 */
export const pgBackupPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'pg-backup-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        policy.setPolicy(PgBackupPermissionPolicy.fromConfig(config));
      },
    });
  },
});
