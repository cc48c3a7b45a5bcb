import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { pgBackupPermissions } from '@pg-backup/backstage-plugin-pg-backup-common';
import { createPgBackupServices } from './createPgBackupServices';
import { createRouter } from './routes/createRouter';

/**
 * The pg-backup backend plugin under /api/pg-backup: health, backups, jobs, logs, "back up now",
 * and the recovery engine (restores, verifications, emergency recoveries, drills, approvals).
 *
 * @public
 */
export const pgBackupPlugin = createBackendPlugin({
  pluginId: 'pg-backup',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init({ httpRouter, permissionsRegistry, ...deps }) {
        permissionsRegistry.addPermissions(pgBackupPermissions);
        httpRouter.use(createRouter(await createPgBackupServices(deps)));
      },
    });
  },
});
