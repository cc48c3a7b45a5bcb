import { AuditorService } from '@backstage/backend-plugin-api';
import {
  RecoveryOperationKind,
  RestoreTarget,
  StartOperationRequest,
  pgBackupDrillRecordPermission,
  pgBackupReadPermission,
  pgBackupRestorePermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  RecoveryEngine,
  toRecoveryOperation,
} from '../recovery/RecoveryEngine';
import { audited } from './audited';
import { pageLimit, parse } from './parseRequest';
import { ID_PATTERN, checkedId, entityRefOf } from './pathParams';
import {
  PEOPLE,
  PEOPLE_AND_SERVICES,
  RequestAuthorizer,
} from './RequestAuthorizer';

/** The kinds of recovery operation, as request bodies name them. */
export const OPERATION_KINDS = [
  'restore',
  'verify',
  'emergency',
  'drill',
] as const;

/** Where a restore goes, as request bodies name it. */
export const restoreTargetSchema = z
  .object({
    kind: z.enum(['new-database', 'other-namespace', 'live']),
    database: z.string().min(1).max(63),
    namespace: z.string().min(1).max(63).optional(),
    cluster: z.string().min(1).max(63).optional(),
  })
  .strict();

const startSchema = z
  .object({
    kind: z.enum(OPERATION_KINDS),
    backupKey: z.string().min(1).max(1024).optional(),
    target: restoreTargetSchema.optional(),
    approvalId: z
      .string()
      .regex(ID_PATTERN, 'must be an approval id')
      .optional(),
    confirmation: z.string().max(255).optional(),
    reason: z.string().max(2000).optional(),
    checklist: z
      .array(
        z
          .object({
            phase: z.enum(['pre', 'during', 'post']),
            item: z.string().min(1).max(500),
            done: z.boolean(),
          })
          .strict(),
      )
      .max(100)
      .optional(),
    notes: z.string().max(10_000).optional(),
    dryRun: z.boolean().optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict();

/** A database's history, `limit`: a whole number from 1 to 100, default 20. */
export const historyQuery = z.object({ limit: pageLimit });

/** The permission that starts (and cancels) an operation of a kind. */
export const permissionFor = (kind: RecoveryOperationKind) =>
  kind === 'restore' || kind === 'emergency'
    ? pgBackupRestorePermission
    : pgBackupDrillRecordPermission;

/** A restore target in one line, for audit events. */
export const describeTarget = (target: RestoreTarget | undefined) =>
  target &&
  [target.kind, target.database, target.namespace, target.cluster]
    .filter(Boolean)
    .join(' ');

/**
 * Recovery operations (restores, verifications, emergency recoveries, drills): start one (or
 * plan it with `dryRun`), list a database's, read and cancel one. Operations act for a person;
 * trusted services (`pgBackup.recovery.trustedServices`) may also start an operation an
 * approval covers, for the approval's requester, and read operations. Starts, refusals and
 * cancellations are audited.
 */
export function operationRoutes(options: {
  authorizer: RequestAuthorizer;
  auditor: AuditorService;
  engine: RecoveryEngine;
}): express.Router {
  const { authorizer, auditor, engine } = options;
  const router = Router();

  router.post(
    '/entities/:kind/:namespace/:name/operations',
    async (req, res) => {
      const kind = (req.body as { kind?: unknown })?.kind;
      const result = await audited(
        auditor,
        req,
        {
          eventId: 'recovery-operation',
          severityLevel: 'high',
          meta: {
            entityRef: entityRefOf(req),
            kind: typeof kind === 'string' ? kind.slice(0, 20) : undefined,
            dryRun: (req.body as { dryRun?: unknown })?.dryRun === true,
          },
        },
        async () => {
          const caller = await authorizer.credentials(req, PEOPLE_AND_SERVICES);
          const service = authorizer.trustedService(caller, 'start operations');
          const body: StartOperationRequest = parse(
            startSchema,
            req.body,
            'body',
          );
          const { target, credentials } = await authorizer.entity(
            req,
            permissionFor(body.kind),
            PEOPLE_AND_SERVICES,
          );
          // A trusted service starts only what an approval covers, for its requester (whose
          // permission was checked when they requested it); the engine checks the approval.
          const requester = authorizer.requester(credentials);
          const { result: started, requestedBy } = service
            ? await engine.startApproved(body, target, service)
            : {
                result: await engine.start(body, target, requester),
                requestedBy: requester,
              };
          const startedBy = service
            ? {
                startedByService: service,
                requestedBy,
                startedFor: `started by service ${service} for ${requestedBy}, with approval ${body.approvalId}`,
              }
            : {};
          return {
            result: started,
            meta:
              started.kind === 'plan'
                ? {
                    plan: true,
                    backupKey: started.plan.backupKey,
                    problems: started.plan.problems,
                  }
                : {
                    operationId: started.operation.id,
                    created: started.created,
                    backupKey: started.operation.backupKey,
                    target: describeTarget(started.operation.target),
                    approvalId: started.operation.approvalId,
                    ...startedBy,
                  },
          };
        },
      );
      if (result.kind === 'plan') res.status(200).json(result.plan);
      else res.status(result.created ? 202 : 200).json(result.operation);
    },
  );

  router.get(
    '/entities/:kind/:namespace/:name/operations',
    async (req, res) => {
      const query = parse(historyQuery, req.query);
      const { target } = await authorizer.entity(
        req,
        pgBackupReadPermission,
        PEOPLE,
      );
      res.json({ items: await engine.list(target.entityRef, query.limit) });
    },
  );

  router.get('/operations/:id', async (req, res) => {
    const credentials = await authorizer.credentials(req, PEOPLE_AND_SERVICES);
    authorizer.trustedService(credentials, 'read operations');
    const op = await engine.get(checkedId(req.params.id, 'operation'));
    await authorizer.authorizeOn(
      credentials,
      pgBackupReadPermission,
      op.entityRef,
    );
    res.json(toRecoveryOperation(op));
  });

  router.post('/operations/:id/cancel', async (req, res) => {
    const id = checkedId(req.params.id, 'operation');
    const result = await audited(
      auditor,
      req,
      {
        eventId: 'recovery-operation-cancel',
        severityLevel: 'high',
        meta: { operationId: id },
      },
      async () => {
        const credentials = await authorizer.credentials(req, PEOPLE);
        const op = await engine.get(id);
        await authorizer.authorizeOn(
          credentials,
          permissionFor(op.kind),
          op.entityRef,
        );
        return {
          result: await engine.cancel(id),
          meta: { entityRef: op.entityRef, kind: op.kind },
        };
      },
    );
    res.status(202).json(result);
  });

  return router;
}
