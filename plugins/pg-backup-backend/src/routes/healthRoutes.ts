import { pgBackupReadPermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { HealthService } from '../health/HealthService';
import { PEOPLE, RequestAuthorizer } from './RequestAuthorizer';

/** `GET /entities/:kind/:namespace/:name/health`: one database's backup health. */
export function healthRoutes(options: {
  authorizer: RequestAuthorizer;
  health: HealthService;
}): express.Router {
  const { authorizer, health } = options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/health', async (req, res) => {
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json(await health.get(target));
  });

  return router;
}
