import {
  AuditorService,
  AuthService,
  DatabaseService,
  HttpAuthService,
  LifecycleService,
  LoggerService,
  PermissionsService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { EntityTargets } from './catalog/EntityTargets';
import { ApprovalStore } from './database/ApprovalStore';
import { HealthSnapshotStore } from './database/HealthSnapshotStore';
import { migrateDatabase } from './database/migrateDatabase';
import { OperationStore } from './database/OperationStore';
import { RecoveryRecordStore } from './database/RecoveryRecordStore';
import { BackupFactsReader } from './health/BackupFactsReader';
import { FleetReader } from './health/FleetReader';
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
import { RouterOptions } from './routes/createRouter';
import { RequestAuthorizer } from './routes/RequestAuthorizer';
import { BackupPages } from './storage/BackupPages';
import { createS3Connection } from './storage/S3Connection';
import { BackupStorage } from './storage/BackupStorage';
import { StoragePolicyReader } from './storage/StoragePolicyReader';

/** The Backstage services pg-backup is built on. */
export interface PgBackupDeps {
  config: RootConfigService;
  logger: LoggerService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  auditor: AuditorService;
  database: DatabaseService;
  scheduler: SchedulerService;
  lifecycle: LifecycleService;
  catalog: CatalogService;
  notifications: NotificationService;
}

/**
 * Builds pg-backup's stores and services from its configuration, registers the scheduled tasks
 * the services own (the fleet refresh, resuming interrupted operations) and the shutdown hook,
 * and returns what the routes call.
 */
export async function createPgBackupServices(
  deps: PgBackupDeps,
): Promise<RouterOptions> {
  const { config, logger } = deps;
  const settings = readPgBackupConfig(config);

  const knex = await migrateDatabase(deps.database);
  const records = new RecoveryRecordStore(knex);
  const snapshots = new HealthSnapshotStore(knex);
  const operations = new OperationStore(knex);
  const approvalStore = new ApprovalStore(knex);

  const kubernetes = new KubernetesGateways(
    ClusterRegistry.fromConfig(config, { logger }),
    settings.upstreamTimeoutMs,
    settings.clusterListTtlMs,
  );
  const storage = new BackupStorage(
    createS3Connection(config, settings.upstreamTimeoutMs),
    settings.upstreamTimeoutMs,
  );
  const facts = new BackupFactsReader(kubernetes, storage, records, {
    bucketSettingsTtlMs: settings.bucketSettingsTtlMs,
    credentialsSecretName: settings.credentialsSecretName,
  });
  const health = new HealthService(facts, settings.healthTtlMs);

  const appBaseUrl = config.getString('app.baseUrl');
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
    logger,
    defaults: settings.defaultObjectives,
    concurrency: settings.refreshConcurrency,
    listeners: [
      createHealthNotifier({
        notifications: deps.notifications,
        records,
        logger,
        entityLink,
      }),
    ],
  });
  registerHealthMetrics(() => refresher.snapshots);
  await refresher.schedule(deps.scheduler, {
    intervalMs: settings.refreshIntervalMs,
    initialDelayMs: settings.refreshInitialDelayMs,
    timeoutMs: settings.refreshTimeoutMs,
  });
  await refresher.scheduleRechecks(deps.scheduler, settings.recheckIntervalMs);

  const selector = new BackupSelector(storage, records);
  const approvals = new ApprovalService({
    store: approvalStore,
    selector,
    notifications: deps.notifications,
    logger,
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
      requireApprovalForAllRestores: settings.approvals.requireForAllRestores,
      postgresPodSelector: settings.recovery.postgresPodSelector,
      checkCluster: cluster => kubernetes.for(cluster),
    }),
    kubernetes,
    logger,
    settings: settings.recovery,
    onRecordsChanged: ref => {
      health.invalidate(ref);
      // The fleet shows the new drill or verification without waiting for the next refresh.
      refresher
        .refreshOne(ref)
        .catch(error =>
          logger.warn(
            `pg-backup: could not refresh the snapshot of ${ref}: ${error}`,
          ),
        );
    },
  });
  // Operations left unfinished by a backend that stopped are resumed where they were once
  // their lease expired: now, and regularly by whichever backend replica runs the task.
  await engine.schedule(deps.scheduler);
  deps.lifecycle.addShutdownHook(() => engine.shutdown());

  const targets = new EntityTargets({
    catalog: deps.catalog,
    auth: deps.auth,
    defaults: settings.defaultObjectives,
    // An entity naming an unconfigured cluster is a bad target (400); one naming a cluster
    // pg-backup skips gets unknown health explaining why.
    checkTarget: target => kubernetes.check(target.cluster),
  });
  return {
    authorizer: new RequestAuthorizer({
      auth: deps.auth,
      httpAuth: deps.httpAuth,
      permissions: deps.permissions,
      targets,
      trustedServices: settings.recovery.trustedServices,
    }),
    auditor: deps.auditor,
    fleet: new FleetReader(snapshots, () => refresher.ensureSnapshots()),
    fleetRechecks: refresher,
    health,
    backupPages: new BackupPages(storage, records),
    storagePolicy: new StoragePolicyReader(facts, storage),
    jobs: new BackupJobs({
      kubernetes,
      operationEntity: async id => (await operations.get(id))?.entityRef,
    }),
    engine,
    approvals,
    records,
  };
}
