import { AuditorService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { FleetReader } from '../health/FleetReader';
import { FleetRefresher } from '../health/FleetRefresher';
import { HealthService } from '../health/HealthService';
import { BackupJobs } from '../jobs/BackupJobs';
import { ApprovalService } from '../recovery/ApprovalService';
import { RecoveryEngine } from '../recovery/RecoveryEngine';
import { BackupPages } from '../storage/BackupPages';
import { StoragePolicyReader } from '../storage/StoragePolicyReader';
import { approvalRoutes } from './approvalRoutes';
import { backupRoutes } from './backupRoutes';
import { drillRoutes } from './drillRoutes';
import {
  auditRefusedReads,
  unknownRoute,
  upstreamErrorsAs503,
} from './errorHandling';
import { fleetRoutes } from './fleetRoutes';
import { healthRoutes } from './healthRoutes';
import { jobRoutes } from './jobRoutes';
import { operationRoutes } from './operationRoutes';
import { RequestAuthorizer } from './RequestAuthorizer';
import { storageRoutes } from './storageRoutes';

/** Everything the routes call. */
export interface RouterOptions {
  authorizer: RequestAuthorizer;
  auditor: AuditorService;
  fleet: FleetReader;
  /** Re-evaluates a database's fleet snapshot soon (after "back up now"). */
  fleetRechecks: Pick<FleetRefresher, 'recheckSoon'>;
  health: HealthService;
  backupPages: BackupPages;
  storagePolicy: StoragePolicyReader;
  jobs: BackupJobs;
  engine: RecoveryEngine;
  approvals: ApprovalService;
  records: RecoveryRecordStore;
  now?: () => Date;
}

/**
 * The HTTP API of pg-backup (see `src/schema/openapi.yaml`), one group of routes per resource.
 * Every route reads the caller's credentials, checks a pg-backup permission and calls a service.
 */
export function createRouter(options: RouterOptions): express.Router {
  const { authorizer, auditor } = options;
  const now = options.now ?? (() => new Date());
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  router.use(fleetRoutes({ authorizer, fleet: options.fleet }));
  router.use(healthRoutes({ authorizer, health: options.health }));
  router.use(
    backupRoutes({
      authorizer,
      auditor,
      backupPages: options.backupPages,
      jobs: options.jobs,
      health: options.health,
      fleetRechecks: options.fleetRechecks,
      now,
    }),
  );
  router.use(jobRoutes({ authorizer, jobs: options.jobs }));
  router.use(
    storageRoutes({ authorizer, storagePolicy: options.storagePolicy, now }),
  );
  router.use(operationRoutes({ authorizer, auditor, engine: options.engine }));
  router.use(
    approvalRoutes({ authorizer, auditor, approvals: options.approvals }),
  );
  router.use(drillRoutes({ authorizer, records: options.records }));

  router.use(auditRefusedReads(auditor));
  router.use(unknownRoute());
  router.use(upstreamErrorsAs503());
  return router;
}
