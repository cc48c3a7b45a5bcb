import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { pgBackupPermissions } from '@internal/plugin-pg-backup-common';
import { migrateDatabase } from './database/migrateDatabase';
import { HealthSnapshotStore } from './database/HealthSnapshotStore';
import { RecoveryRecordStore } from './database/RecoveryRecordStore';
import { BackupFactsReader } from './health/BackupFactsReader';
import { FleetRefresher } from './health/FleetRefresher';
import { createHealthNotifier } from './health/HealthNotifier';
import { HealthService } from './health/HealthService';
import { registerHealthMetrics } from './health/healthMetrics';
import { BackupJobs } from './jobs/BackupJobs';
import { ClusterRegistry } from './kubernetes/ClusterRegistry';
import { KubernetesGateways } from './kubernetes/KubernetesGateways';
import { readPgBackupConfig } from './PgBackupConfig';
import { EntityTargets } from './service/EntityTargets';
import { createRouter } from './service/router';
import { BackupStorage } from './storage/BackupStorage';
import { createS3Connection } from './storage/S3Connection';

/** The pg-backup backend plugin: health, backups, jobs, logs and "back up now" under /api/pg-backup. */
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
        discovery: coreServices.discovery,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const settings = readPgBackupConfig(deps.config);
        deps.permissionsRegistry.addPermissions(pgBackupPermissions);
        const knex = await migrateDatabase(deps.database);
        const records = new RecoveryRecordStore(knex);
        const snapshots = new HealthSnapshotStore(knex);
        const kubernetes = new KubernetesGateways(
          ClusterRegistry.fromConfig(deps.config),
          settings.upstreamTimeoutMs,
          settings.clusterListTtlMs,
        );
        const storage = new BackupStorage(
          createS3Connection(deps.config, settings.upstreamTimeoutMs),
          settings.upstreamTimeoutMs,
        );
        const facts = new BackupFactsReader(kubernetes, storage, records, {
          bucketSettingsTtlMs: settings.bucketSettingsTtlMs,
          credentialsSecretName: settings.credentialsSecretName,
        });
        const health = new HealthService(facts, settings.healthTtlMs);
        const appBaseUrl = deps.config.getString('app.baseUrl');
        const refresher = new FleetRefresher({
          catalog: deps.catalog,
          auth: deps.auth,
          health,
          records,
          store: snapshots,
          logger: deps.logger,
          defaults: settings.defaultObjectives,
          concurrency: settings.refreshConcurrency,
          listeners: [
            createHealthNotifier({
              notifications: deps.notifications,
              records,
              logger: deps.logger,
              entityLink: ref => {
                const { kind, namespace, name } = parseEntityRef(ref);
                return `${appBaseUrl}/catalog/${namespace}/${kind}/${name}/pg-backup`;
              },
            }),
          ],
        });
        registerHealthMetrics(() => refresher.snapshots);
        await deps.scheduler.scheduleTask({
          id: 'pg-backup-refresh-fleet-health',
          scope: 'global',
          frequency: { milliseconds: settings.refreshIntervalMs },
          timeout: { minutes: 10 },
          initialDelay: { milliseconds: settings.refreshInitialDelayMs },
          fn: async () => {
            await refresher.refresh();
          },
        });
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            targets: new EntityTargets(
              deps.catalog,
              deps.auth,
              settings.defaultObjectives,
              // An entity naming an unconfigured cluster is a bad target (400).
              target => kubernetes.for(target.cluster),
            ),
            health,
            facts,
            jobs: new BackupJobs(kubernetes),
            storage,
            records,
            snapshots,
            ensureSnapshots: () => refresher.ensureSnapshots(),
          }),
        );
      },
    });
  },
});
