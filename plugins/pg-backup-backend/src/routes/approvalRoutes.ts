import { AuditorService } from '@backstage/backend-plugin-api';
import {
  ApprovalRequestBody,
  pgBackupApprovePermission,
  pgBackupReadPermission,
  pgBackupRestorePermission,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { ApprovalService } from '../recovery/ApprovalService';
import { audited } from './audited';
import {
  OPERATION_KINDS,
  describeTarget,
  restoreTargetSchema,
} from './operationRoutes';
import { parse } from './parseRequest';
import { checkedId, entityRefOf } from './pathParams';
import {
  PEOPLE,
  PEOPLE_AND_SERVICES,
  RequestAuthorizer,
} from './RequestAuthorizer';

const approvalSchema = z
  .object({
    kind: z.enum(OPERATION_KINDS),
    backupKey: z.string().min(1).max(1024).optional(),
    target: restoreTargetSchema.optional(),
    reason: z.string().trim().min(1, 'give a reason').max(2000),
  })
  .strict();

const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
  })
  .strict();

const pendingQuery = z.object({
  state: z
    .enum(['pending'], {
      errorMap: () => ({
        message:
          "state must be 'pending' (the requests you may decide); a database's requests in any state are under /entities/.../approvals",
      }),
    })
    .default('pending'),
});

/**
 * Approvals of restores and emergency recoveries: request one for a database, list a
 * database's, list those the caller may decide, read one, and decide one (never by its
 * requester). `GET /approvals/:id` also answers backend services: the scaffolder module polls a
 * pending approval with its own credentials, because a wait outlasts the initiator's token (1 h;
 * an approval lasts up to 4 h); users still need the read permission on the database. Requests
 * and decisions are audited.
 */
export function approvalRoutes(options: {
  authorizer: RequestAuthorizer;
  auditor: AuditorService;
  approvals: ApprovalService;
}): express.Router {
  const { authorizer, auditor, approvals } = options;
  const router = Router();

  router.post(
    '/entities/:kind/:namespace/:name/approvals',
    async (req, res) => {
      const created = await audited(
        auditor,
        req,
        {
          eventId: 'recovery-approval-request',
          severityLevel: 'medium',
          meta: { entityRef: entityRefOf(req) },
        },
        async () => {
          const body: ApprovalRequestBody = parse(
            approvalSchema,
            req.body,
            'body',
          );
          const { entity, target, credentials } = await authorizer.entity(
            req,
            pgBackupRestorePermission,
            PEOPLE,
          );
          const approval = await approvals.request(
            body,
            { entity, target },
            authorizer.requester(credentials),
          );
          return {
            result: approval,
            meta: {
              approvalId: approval.id,
              kind: approval.kind,
              backupKey: approval.backupKey,
              target: describeTarget(approval.target),
            },
          };
        },
      );
      res.status(201).json(created);
    },
  );

  router.get('/entities/:kind/:namespace/:name/approvals', async (req, res) => {
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json({ items: await approvals.listForEntity(target.entityRef) });
  });

  router.get('/approvals', async (req, res) => {
    parse(pendingQuery, req.query);
    const credentials = await authorizer.credentials(req, PEOPLE);
    const pending = await approvals.listPendingFor(
      authorizer.requester(credentials),
    );
    const allowed = await authorizer.allowed(
      credentials,
      pgBackupApprovePermission,
      pending.map(a => a.entityRef),
    );
    res.json({ items: pending.filter((_, i) => allowed[i]) });
  });

  router.get('/approvals/:id', async (req, res) => {
    const credentials = await authorizer.credentials(req, PEOPLE_AND_SERVICES);
    const approval = await approvals.get(checkedId(req.params.id, 'approval'));
    await authorizer.authorizeOn(
      credentials,
      pgBackupReadPermission,
      approval.entityRef,
    );
    res.json(approval);
  });

  router.post('/approvals/:id/decision', async (req, res) => {
    const id = checkedId(req.params.id, 'approval');
    const decided = await audited(
      auditor,
      req,
      {
        eventId: 'recovery-approval-decision',
        severityLevel: 'high',
        meta: { approvalId: id },
      },
      async () => {
        const credentials = await authorizer.credentials(req, PEOPLE);
        const body = parse(decisionSchema, req.body, 'body');
        const approval = await approvals.get(id);
        await authorizer.authorizeOn(
          credentials,
          pgBackupApprovePermission,
          approval.entityRef,
        );
        const result = await approvals.decide(
          id,
          body,
          authorizer.requester(credentials),
        );
        return {
          result,
          meta: {
            entityRef: approval.entityRef,
            decision: body.decision,
            requestedBy: approval.requestedBy,
          },
        };
      },
    );
    res.json(decided);
  });

  return router;
}
