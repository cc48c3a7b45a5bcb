import {
  AuditorService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  ApprovalRequestBody,
  RecoveryOperationKind,
  RestoreTarget,
  StartOperationRequest,
  pgBackupApprovePermission,
  pgBackupDrillRecordPermission,
  pgBackupReadPermission,
  pgBackupRestorePermission,
  shownValue,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { ApprovalService } from '../recovery/ApprovalService';
import {
  RecoveryEngine,
  toRecoveryOperation,
} from '../recovery/RecoveryEngine';
import { EntityTargets } from './EntityTargets';
import { pageLimit, parse } from './parseRequest';
import {
  PrincipalType,
  RequestAuthorizer,
  requesterOf,
} from './RequestAuthorizer';

/** Everything the recovery routes call. */
export interface RecoveryRouterOptions {
  authorizer: RequestAuthorizer;
  auditor: AuditorService;
  engine: RecoveryEngine;
  approvals: ApprovalService;
  records: RecoveryRecordStore;
  /**
   * Service subjects (`pgBackup.recovery.trustedServices`, default `plugin:scaffolder`) that may
   * start an operation an approval covers, for the approval's requester, and read operations.
   */
  trustedServices: string[];
}

const KINDS = ['restore', 'verify', 'emergency', 'drill'] as const;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const targetSchema = z
  .object({
    kind: z.enum(['new-database', 'other-namespace', 'live']),
    database: z.string().min(1).max(63),
    namespace: z.string().min(1).max(63).optional(),
    cluster: z.string().min(1).max(63).optional(),
  })
  .strict();

const startSchema = z
  .object({
    kind: z.enum(KINDS),
    backupKey: z.string().min(1).max(1024).optional(),
    target: targetSchema.optional(),
    approvalId: z.string().regex(ID, 'must be an approval id').optional(),
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

const approvalSchema = z
  .object({
    kind: z.enum(KINDS),
    backupKey: z.string().min(1).max(1024).optional(),
    target: targetSchema.optional(),
    reason: z.string().trim().min(1, 'give a reason').max(2000),
  })
  .strict();

const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
  })
  .strict();

const historyQuery = z.object({
  limit: pageLimit,
});

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

/** The permission that starts (and cancels) an operation of a kind. */
const permissionFor = (kind: RecoveryOperationKind) =>
  kind === 'restore' || kind === 'emergency'
    ? pgBackupRestorePermission
    : pgBackupDrillRecordPermission;

const describeTarget = (target: RestoreTarget | undefined) =>
  target &&
  [target.kind, target.database, target.namespace, target.cluster]
    .filter(Boolean)
    .join(' ');

/**
 * Who may call the recovery routes: people only. Operations, requests and decisions are
 * recorded under a person, and the approval rules (the requester never approves, the approver
 * never starts) compare people; a backend service would pass every permission check.
 */
const PEOPLE: PrincipalType[] = ['user'];

/**
 * `GET /approvals/:id` also answers backend services: the scaffolder module polls a pending
 * approval with its own credentials, because a wait outlasts the initiator's token (1 h; an
 * approval lasts up to 4 h). Users still need the read permission on the database. Trusted
 * services (`pgBackup.recovery.trustedServices`) may also start an operation an approval covers
 * (for the approval's requester) and read operations; other services are refused there.
 */
const PEOPLE_AND_SERVICES: PrincipalType[] = ['user', 'service'];

function checkedId(id: string, what: string): string {
  if (!ID.test(id))
    throw new NotFoundError(`${what} ${shownValue(id)} does not exist`);
  return id;
}

/**
 * The recovery routes (see `src/schema/openapi.yaml` and
 * `@pg-backup/backstage-plugin-pg-backup-common/src/api/recovery.ts`): operations, approvals and drills.
 * Every route checks a permission on the database's entity and acts for a person; backend
 * services may only read one approval (`GET /approvals/:id`), and trusted services
 * (`pgBackup.recovery.trustedServices`) may also start an operation an approval covers, for the
 * approval's requester, and read operations (`GET /operations/:id`). Starts, refusals,
 * cancellations, approval requests and decisions are audited.
 */
export function createRecoveryRouter(
  options: RecoveryRouterOptions,
): express.Router {
  const { authorizer, auditor, engine, approvals, trustedServices } = options;

  /**
   * The subject of a trusted service, undefined for a person; 403 for any other service.
   */
  const trustedService = (
    credentials: BackstageCredentials,
    what: string,
  ): string | undefined => {
    const principal = credentials.principal as { type?: string };
    if (principal.type !== 'service') return undefined;
    const subject = requesterOf(credentials);
    if (!trustedServices.includes(subject))
      throw new NotAllowedError(
        `service ${subject} may not ${what}; only a person, or a service listed in pgBackup.recovery.trustedServices (${
          trustedServices.join(', ') || 'none'
        }), may`,
      );
    return subject;
  };
  // Mounted by router.ts, whose JSON body parser (16 kB) has already read the body.
  const router = Router();

  const urlEntityRef = (req: Request) =>
    stringifyEntityRef(
      EntityTargets.parseRef(
        req.params.kind,
        req.params.namespace,
        req.params.name,
      ),
    );

  /** Runs an action inside an audit event, so refusals are recorded too. */
  const audited = async <T>(
    req: Request,
    eventId: string,
    meta: JsonObject,
    action: () => Promise<{ result: T; meta?: JsonObject }>,
    severityLevel: 'medium' | 'high' = 'high',
  ): Promise<T> => {
    const event = await auditor.createEvent({
      eventId,
      severityLevel,
      request: req,
      meta,
    });
    try {
      const { result, meta: outcome } = await action();
      await event.success({ meta: outcome });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  };

  router.post(
    '/entities/:kind/:namespace/:name/operations',
    async (req, res) => {
      const kind = (req.body as { kind?: unknown })?.kind;
      const result = await audited(
        req,
        'recovery-operation',
        {
          entityRef: urlEntityRef(req),
          kind: typeof kind === 'string' ? kind.slice(0, 20) : undefined,
          dryRun: (req.body as { dryRun?: unknown })?.dryRun === true,
        },
        async () => {
          const caller = await authorizer.credentials(req, PEOPLE_AND_SERVICES);
          const service = trustedService(caller, 'start operations');
          const body = parse(startSchema, req.body, 'body');
          const { target, credentials } = await authorizer.entity(
            req,
            permissionFor(body.kind),
            PEOPLE_AND_SERVICES,
          );
          // A trusted service starts only what an approval covers, for its requester (whose
          // permission was checked when they requested it); the engine checks the approval.
          const { result: started, requestedBy } = service
            ? await engine.startApproved(
                body as StartOperationRequest,
                target,
                service,
              )
            : {
                result: await engine.start(
                  body as StartOperationRequest,
                  target,
                  requesterOf(credentials),
                ),
                requestedBy: requesterOf(credentials),
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
    trustedService(credentials, 'read operations');
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
      req,
      'recovery-operation-cancel',
      { operationId: id },
      async () => {
        const credentials = await authorizer.credentials(req, PEOPLE);
        const op = await engine.get(id);
        await authorizer.authorizeOn(
          credentials,
          permissionFor(op.kind),
          op.entityRef,
        );
        const cancelled = await engine.cancel(id);
        return {
          result: cancelled,
          meta: { entityRef: op.entityRef, kind: op.kind },
        };
      },
    );
    res.status(202).json(result);
  });

  router.post(
    '/entities/:kind/:namespace/:name/approvals',
    async (req, res) => {
      const created = await audited(
        req,
        'recovery-approval-request',
        { entityRef: urlEntityRef(req) },
        async () => {
          const body = parse(approvalSchema, req.body, 'body');
          const { entity, target, credentials } = await authorizer.entity(
            req,
            pgBackupRestorePermission,
            PEOPLE,
          );
          const approval = await approvals.request(
            body as ApprovalRequestBody,
            { entity, target },
            requesterOf(credentials),
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
        'medium',
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
    const pending = await approvals.listPendingFor(requesterOf(credentials));
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
      req,
      'recovery-approval-decision',
      { approvalId: id },
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
          requesterOf(credentials),
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

  router.get('/entities/:kind/:namespace/:name/drills', async (req, res) => {
    const query = parse(historyQuery, req.query);
    const { target } = await authorizer.entity(
      req,
      pgBackupReadPermission,
      PEOPLE,
    );
    res.json({
      items: await options.records.listDrills(target.entityRef, query.limit),
    });
  });

  return router;
}
