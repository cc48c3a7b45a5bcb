import { InputError } from '@backstage/errors';
import {
  HealthStatus,
  pgBackupFleetReadPermission,
  pgBackupReadPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { FleetReader } from '../health/FleetReader';
import { parse } from './parseRequest';
import { PEOPLE, RequestAuthorizer } from './RequestAuthorizer';

const STATUSES = ['healthy', 'warning', 'critical', 'unknown'] as const;

const fleetQuery = z.object({
  owner: z.unknown().optional(),
  system: z.unknown().optional(),
  status: z.unknown().optional(),
});

/** Repeated and comma-separated query values as one list. */
const listOf = (value: unknown) =>
  (Array.isArray(value) ? value : [value])
    .filter((v): v is string => typeof v === 'string')
    .flatMap(v => v.split(','))
    .map(v => v.trim())
    .filter(Boolean);

/** `GET /fleet`: every database's last evaluated health the caller may read. */
export function fleetRoutes(options: {
  authorizer: RequestAuthorizer;
  fleet: FleetReader;
}): express.Router {
  const { authorizer, fleet } = options;
  const router = Router();

  router.get('/fleet', async (req, res) => {
    const credentials = await authorizer.basic(
      req,
      pgBackupFleetReadPermission,
      PEOPLE,
    );
    const query = parse(fleetQuery, req.query);
    const statuses = listOf(query.status);
    for (const status of statuses)
      if (!(STATUSES as readonly string[]).includes(status))
        throw new InputError(
          `status "${status.slice(0, 40)}" is not one of ${STATUSES.join(
            ', ',
          )}`,
        );
    // Only databases the caller may read, decided per entity (conditional rules included).
    res.json(
      await fleet.read(
        {
          owners: listOf(query.owner),
          systems: listOf(query.system),
          statuses: statuses as HealthStatus[],
        },
        refs => authorizer.allowed(credentials, pgBackupReadPermission, refs),
      ),
    );
  });

  return router;
}
