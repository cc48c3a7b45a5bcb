import { AuditorService } from '@backstage/backend-plugin-api';
import {
  pgBackupReadPermission,
  pgBackupTriggerPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { FleetRefresher } from '../health/FleetRefresher';
import { HealthService } from '../health/HealthService';
import { BackupJobs } from '../jobs/BackupJobs';
import { BackupPages } from '../storage/BackupPages';
import { audited } from './audited';
import { pageLimit, parse } from './parseRequest';
import { entityRefOf } from './pathParams';
import { PEOPLE, RequestAuthorizer } from './RequestAuthorizer';

const backupsQuery = z.object({
  limit: pageLimit,
  cursor: z
    .string()
    .max(1024, 'cursor is longer than 1024 characters')
    .optional(),
});

/**
 * `GET /entities/:kind/:namespace/:name/backups` (pages of backups, newest first) and
 * `POST` on it ("back up now": a Job from the database's backup CronJob).
 */
export function backupRoutes(options: {
  authorizer: RequestAuthorizer;
  auditor: AuditorService;
  backupPages: BackupPages;
  jobs: BackupJobs;
  health: HealthService;
  fleetRechecks: Pick<FleetRefresher, 'recheckSoon'>;
  now: () => Date;
}): express.Router {
  const { authorizer, auditor, backupPages, jobs, health, fleetRechecks, now } =
    options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const query = parse(backupsQuery, req.query);
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json(
      await backupPages.read(target, {
        cursor: query.cursor,
        limit: query.limit,
        now: now(),
      }),
    );
  });

  router.post('/entities/:kind/:namespace/:name/backups', async (req, res) => {
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'backup-trigger',
        severityLevel: 'medium',
        meta: { entityRef: entityRefOf(req) },
      },
      async () => {
        const { target, credentials } = await authorizer.entity(
          req,
          pgBackupTriggerPermission,
          PEOPLE,
        );
        const triggered = await jobs.trigger(
          target,
          authorizer.requester(credentials),
        );
        health.invalidate(target.entityRef);
        // The fleet follows the Job from the next recheck until it has finished.
        await fleetRechecks.recheckSoon(target.entityRef);
        return {
          result: triggered,
          meta: {
            cluster: target.cluster,
            namespace: target.namespace,
            cronJob: target.backupCronJob,
            job: triggered.job,
          },
        };
      },
    );
    res.status(202).json(result);
  });

  return router;
}
