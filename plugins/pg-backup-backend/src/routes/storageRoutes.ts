import { pgBackupReadPermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { StoragePolicyReader } from '../storage/StoragePolicyReader';
import { PEOPLE, RequestAuthorizer } from './RequestAuthorizer';

/** `GET /entities/:kind/:namespace/:name/storage`: the bucket's policy and the database's usage. */
export function storageRoutes(options: {
  authorizer: RequestAuthorizer;
  storagePolicy: StoragePolicyReader;
  now: () => Date;
}): express.Router {
  const { authorizer, storagePolicy, now } = options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/storage', async (req, res) => {
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json(await storagePolicy.read(target, now()));
  });

  return router;
}
