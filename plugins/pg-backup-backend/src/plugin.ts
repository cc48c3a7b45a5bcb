import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { pgBackupPermissions } from '@pg-backup/backstage-plugin-pg-backup-common';
import { ApprovalStore } from './database/ApprovalStore';
import { migrateDatabase } from './database/migrateDatabase';
import { HealthSnapshotStore } from './database/HealthSnapshotStore';
import { OperationStore } from './database/OperationStore';
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
import { ApprovalService } from './recovery/ApprovalService';
import { BackupSelector } from './recovery/BackupSelector';
import { OperationPlanner } from './recovery/OperationPlanner';
import { RecoveryEngine } from './recovery/RecoveryEngine';
import { EntityTargets } from './service/EntityTargets';
import { createRouter } from './service/router';
import { BackupStorage } from './storage/BackupStorage';
import { createS3Connection } from './storage/S3Connection';

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
        discovery: coreServices.discovery,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const settings = readPgBackupConfig(deps.config);
        deps.permissionsRegistry.addPermissions(pgBackupPermissions);
        const knex = await migrateDatabase(deps.database);
        const records = new RecoveryRecordStore(knex);
        const snapshots = new HealthSnapshotStore(knex);
        const operations = new OperationStore(knex);
        const kubernetes = new KubernetesGateways(
          ClusterRegistry.fromConfig(deps.config, { logger: deps.logger }),
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
        const entityLink = (ref: string) => {
          const { kind, namespace, name } = parseEntityRef(ref);
          return `${appBaseUrl}/catalog/${namespace}/${kind}/${name}/pg-backup`;
        };
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
              entityLink,
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

        const approvalStore = new ApprovalStore(knex);
        const selector = new BackupSelector(storage, records);
        const approvals = new ApprovalService({
          store: approvalStore,
          selector,
          notifications: deps.notifications,
          logger: deps.logger,
          expiryMs: settings.approvals.expiryMs,
          entityLink,
        });
        const engine = new RecoveryEngine({
          operations,
          approvals: approvalStore,
          records,
          planner: new OperationPlanner({
            selector,
            approvals,
            operations,
            requireApprovalForAllRestores:
              settings.approvals.requireForAllRestores,
            postgresPodSelector: settings.recovery.postgresPodSelector,
            checkCluster: cluster => kubernetes.for(cluster),
          }),
          kubernetes,
          logger: deps.logger,
          settings: settings.recovery,
          onRecordsChanged: ref => {
            health.invalidate(ref);
            // The fleet shows the new drill or verification without waiting for the next refresh.
            refresher
              .refreshOne(ref)
              .catch(error =>
                deps.logger.warn(
                  `pg-backup: could not refresh the snapshot of ${ref}: ${error}`,
                ),
              );
          },
        });
        // Operations left unfinished by a backend that stopped are resumed where they were once
        // their lease expired: now, and regularly by whichever backend replica runs the task.
        engine
          .resumeInterrupted()
          .catch(error =>
            deps.logger.error(
              `pg-backup: could not resume interrupted operations: ${error}`,
            ),
          );
        await deps.scheduler.scheduleTask({
          id: 'pg-backup-resume-interrupted-operations',
          scope: 'global',
          frequency: { milliseconds: settings.recovery.leaseTimeoutMs },
          timeout: { minutes: 10 },
          initialDelay: { milliseconds: settings.recovery.leaseTimeoutMs },
          fn: async () => {
            await engine.resumeInterrupted();
          },
        });
        deps.lifecycle.addShutdownHook(() => engine.shutdown());

        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            auditor: deps.auditor,
            targets: new EntityTargets(
              deps.catalog,
              deps.auth,
              settings.defaultObjectives,
              // An entity naming an unconfigured cluster is a bad target (400); one naming a
              // cluster pg-backup skips gets unknown health explaining why.
              target => kubernetes.check(target.cluster),
            ),
            health,
            facts,
            jobs: new BackupJobs(
              kubernetes,
              undefined,
              async id => (await operations.get(id))?.entityRef,
            ),
            storage,
            records,
            snapshots,
            ensureSnapshots: () => refresher.ensureSnapshots(),
            recovery: {
              engine,
              approvals,
              records,
              trustedServices: settings.recovery.trustedServices,
            },
          }),
        );
      },
    });
  },
});
