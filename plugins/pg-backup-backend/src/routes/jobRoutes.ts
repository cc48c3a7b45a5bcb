import {
  pgBackupLogsReadPermission,
  pgBackupReadPermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { BackupJobs, MAX_TAIL_LINES } from '../jobs/BackupJobs';
import { parse } from './parseRequest';
import {
  PEOPLE,
  PEOPLE_AND_SERVICES,
  RequestAuthorizer,
} from './RequestAuthorizer';

const logsQuery = z.object({
  tailLines: z.coerce
    .number({ invalid_type_error: 'tailLines must be a number' })
    .int('tailLines must be a whole number')
    .min(0, 'tailLines must be at least 0')
    .max(MAX_TAIL_LINES, `tailLines must be at most ${MAX_TAIL_LINES}`)
    .default(200),
  pod: z.string().max(253, 'pod is longer than 253 characters').optional(),
  follow: z
    .enum(['true', 'false'], {
      errorMap: () => ({ message: "follow must be 'true' or 'false'" }),
    })
    .optional(),
});

/**
 * The database's backup, checkpoint and operation Jobs: `GET .../jobs`, `GET .../jobs/:job` and
 * `GET .../jobs/:job/logs` (a tail, or followed as it is written with `follow=true`). Logs
 * also answer trusted services: the scaffolder follows the Jobs of the operations it started.
 */
export function jobRoutes(options: {
  authorizer: RequestAuthorizer;
  jobs: BackupJobs;
}): express.Router {
  const { authorizer, jobs } = options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/jobs', async (req, res) => {
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json(await jobs.list(target));
  });

  router.get('/entities/:kind/:namespace/:name/jobs/:job', async (req, res) => {
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json(await jobs.get(target, req.params.job));
  });

  router.get(
    '/entities/:kind/:namespace/:name/jobs/:job/logs',
    async (req, res) => {
      const query = parse(logsQuery, req.query);
      const { target, credentials } = await authorizer.entity(
        req,
        pgBackupLogsReadPermission,
        PEOPLE_AND_SERVICES,
      );
      authorizer.trustedService(credentials, 'read job logs');
      const request = {
        job: req.params.job,
        pod: query.pod,
        tailLines: query.tailLines,
      };
      if (query.follow !== 'true') {
        const log = await jobs.readLog(target, request);
        res.setHeader('X-Pod-Name', log.pod);
        res.setHeader('Access-Control-Expose-Headers', 'X-Pod-Name');
        res.type('text/plain').send(log.text);
        return;
      }
      const abort = new AbortController();
      req.on('close', () => abort.abort());
      res.type('text/plain');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.flushHeaders();
      await jobs.followLog(target, request, res, abort.signal);
      res.end();
    },
  );

  return router;
}
