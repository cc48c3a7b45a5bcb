import { pgBackupReadPermission } from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { historyQuery } from './operationRoutes';
import { parse } from './parseRequest';
import { PEOPLE, RequestAuthorizer } from './RequestAuthorizer';

/** `GET /entities/:kind/:namespace/:name/drills`: the database's recorded drills, newest first. */
export function drillRoutes(options: {
  authorizer: RequestAuthorizer;
  records: RecoveryRecordStore;
}): express.Router {
  const { authorizer, records } = options;
  const router = Router();

  router.get('/entities/:kind/:namespace/:name/drills', async (req, res) => {
    const query = parse(historyQuery, req.query);
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json({
      items: await records.listDrills(target.entityRef, query.limit),
    });
  });

  return router;
}
