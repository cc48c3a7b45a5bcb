import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  BackupTarget,
  OperationPlan,
  OperationStep,
  RestoreTarget,
  StartOperationRequest,
  formatDuration,
  shownValue,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { OperationStore, StoredOperation } from '../database/OperationStore';
import { ApprovalService } from './ApprovalService';
import { BackupSelector, SelectedBackup } from './BackupSelector';
import {
  checkRestoreTarget,
  defaultRestoreTarget,
  scratchDatabaseName,
} from './restoreTargets';

/** A checked request: the plan, the operation to create, and why it may not start. */
export interface PlannedOperation {
  plan: OperationPlan;
  /** Refusals (400, 403, 409); a real request fails with the first, a dry run lists them all. */
  problems: Error[];
  /** The operation to create when there is no problem. */
  operation: StoredOperation;
}

const fileName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/**
 * Checks a start request against the database, its backups, the approvals and the lock, and
 * lays out the steps. It changes nothing, so it also answers dry runs.
 */
export class OperationPlanner {
  constructor(
    private readonly deps: {
      selector: BackupSelector;
      approvals: ApprovalService;
      operations: OperationStore;
      requireApprovalForAllRestores: boolean;
      postgresPodSelector: string;
      /** Throws an InputError for a cluster that is not configured. */
      checkCluster: (cluster: string | undefined) => void;
      now?: () => Date;
    },
  ) {}

  async plan(
    request: StartOperationRequest,
    db: BackupTarget,
    requestedBy: string,
  ): Promise<PlannedOperation> {
    const now = (this.deps.now ?? (() => new Date()))();
    const id = randomUUID();
    const problems: Error[] = [];
    const attempt = <T>(check: () => T): T | undefined => {
      try {
        return check();
      } catch (error) {
        problems.push(error as Error);
        return undefined;
      }
    };

    const approvalRecord = request.approvalId
      ? await this.deps.approvals.find(request.approvalId)
      : undefined;
    const target = attempt(() =>
      this.restoreTarget(request, db, now, approvalRecord?.target),
    );
    const live = target?.kind === 'live';
    if (live && request.confirmation !== db.database)
      problems.push(
        new InputError(
          `confirmation: type the database name "${db.database}" to ${
            request.kind === 'emergency'
              ? 'run an emergency recovery over it'
              : 'restore over it'
          }${
            request.confirmation === undefined
              ? ''
              : `; got "${shownValue(request.confirmation)}"`
          }`,
        ),
      );

    let backup: SelectedBackup | undefined;
    try {
      backup = await this.deps.selector.select(
        db,
        request.backupKey ?? approvalRecord?.backupKey,
        now,
        { adopting: request.kind === 'verify' },
      );
    } catch (error) {
      problems.push(error as Error);
    }
    const backupKey = backup?.key ?? request.backupKey ?? '';

    const needsApproval =
      request.kind === 'emergency' ||
      (request.kind === 'restore' &&
        (live || this.deps.requireApprovalForAllRestores));
    let approval: OperationPlan['approval'] = 'not-needed';
    if (needsApproval) {
      approval = 'missing';
      if (!request.approvalId) {
        problems.push(
          new NotAllowedError(
            `${this.describe(request.kind, live)} of ${
              db.entityRef
            } needs an approval: request one (POST .../approvals), have another person with pg-backup.restore.approve approve it, and pass its id as approvalId`,
          ),
        );
      } else {
        const problem = await this.deps.approvals.problemWith(
          request.approvalId,
          {
            entityRef: db.entityRef,
            kind: request.kind,
            backupKey,
            target,
            requestedBy,
          },
        );
        if (problem) problems.push(problem);
        else approval = 'valid';
      }
    }

    const holder = await this.deps.operations.lockHolder(db.entityRef);
    if (holder)
      problems.push(
        new ConflictError(
          `operation ${holder.operationId} (${holder.kind}) of ${db.entityRef} is running; only one restore, verify, emergency recovery or drill runs per database at a time`,
        ),
      );

    const scratch = request.kind === 'verify' || request.kind === 'drill';
    const restoreDatabase = scratch
      ? scratchDatabaseName(db.database, id)
      : target?.database ?? '';
    const other = target?.kind === 'other-namespace';
    const steps = this.steps(request, db, {
      backupKey,
      target,
      restoreDatabase,
      live,
      adopt: backup?.adopt ?? false,
    });
    const operation: StoredOperation = {
      id,
      entityRef: db.entityRef,
      kind: request.kind,
      state: 'pending',
      requestedBy,
      backupKey,
      ...(target && { target }),
      ...(request.approvalId &&
        needsApproval && {
          approvalId: request.approvalId,
        }),
      ...(request.reason && { reason: request.reason }),
      steps: steps.map(s => ({ ...s, state: 'pending' })),
      ...((request.kind === 'drill' || request.kind === 'emergency') && {
        rtoObjectiveMs: db.objectives.rtoMs,
      }),
      createdAt: now.toISOString(),
      context: {
        ...(db.cluster && { cluster: db.cluster }),
        namespace: db.namespace,
        cronJob: db.backupCronJob,
        ...(other
          ? {
              ...(target?.cluster && { jobCluster: target.cluster }),
              jobNamespace: target!.namespace!,
            }
          : {
              ...(db.cluster && { jobCluster: db.cluster }),
              jobNamespace: db.namespace,
            }),
        bucket: db.storage.bucket,
        prefix: backup?.prefix ?? db.storage.prefix,
        restoreDatabase,
        scratch,
        ...(backup?.adopt && { adopt: true }),
        deployments: request.kind === 'emergency' ? db.deployments : [],
      },
      cancelRequested: false,
      ...(request.idempotencyKey && { idempotencyKey: request.idempotencyKey }),
      ...(request.kind === 'drill' &&
        (request.checklist || request.notes) && {
          drill: { checklist: request.checklist, notes: request.notes },
        }),
    };
    return {
      plan: {
        kind: request.kind,
        entityRef: db.entityRef,
        backupKey,
        ...(target && { target }),
        steps,
        approval,
        problems: problems.map(p => p.message),
      },
      problems,
      operation,
    };
  }

  private describe(kind: StartOperationRequest['kind'], live: boolean) {
    if (kind === 'emergency') return 'an emergency recovery';
    return live ? 'a restore over the live database' : 'a restore';
  }

  private restoreTarget(
    request: StartOperationRequest,
    db: BackupTarget,
    now: Date,
    approved: RestoreTarget | undefined,
  ): RestoreTarget | undefined {
    if (request.kind === 'verify' || request.kind === 'drill') {
      if (request.target)
        throw new InputError(
          `target is only for restore and emergency; a ${request.kind} restores into a scratch database it drops afterwards`,
        );
      return undefined;
    }
    if (request.kind === 'emergency') {
      const t = request.target;
      if (t && (t.kind !== 'live' || t.database !== db.database))
        throw new InputError(
          `an emergency recovery restores over the live database ${db.database}; target must be omitted or { kind: live, database: ${db.database} }`,
        );
      return { kind: 'live', database: db.database };
    }
    const target =
      request.target ?? approved ?? defaultRestoreTarget(db.database, now);
    checkRestoreTarget(target, db);
    if (target.kind === 'other-namespace')
      this.deps.checkCluster(target.cluster);
    return target;
  }

  private steps(
    request: StartOperationRequest,
    db: BackupTarget,
    o: {
      backupKey: string;
      target?: RestoreTarget;
      restoreDatabase: string;
      live: boolean;
      adopt: boolean;
    },
  ): Array<Pick<OperationStep, 'id' | 'title'>> {
    const dump = fileName(o.backupKey) || '(no backup)';
    const where = (() => {
      if (!o.target) return `the scratch database ${o.restoreDatabase}`;
      if (o.target.kind === 'live')
        return `the live database ${o.restoreDatabase}, replacing it`;
      if (o.target.kind === 'other-namespace')
        return `the new database ${o.restoreDatabase} in namespace ${
          o.target.namespace
        }${o.target.cluster ? ` of cluster ${o.target.cluster}` : ''}`;
      return `the new database ${o.restoreDatabase}`;
    })();
    const deployments = db.deployments.join(', ');
    const steps: Array<Pick<OperationStep, 'id' | 'title'>> = [];
    if (request.kind === 'emergency') {
      steps.push(
        {
          id: 'scale-down',
          title: deployments
            ? `Record the replicas of ${deployments} and scale them to 0`
            : 'No Deployments to scale (pg-backup.io/deployments names none)',
        },
        {
          id: 'check-postgres',
          title: `Check PostgreSQL is running (pods ${this.deps.postgresPodSelector})`,
        },
      );
    }
    if (o.live)
      steps.push({
        id: 'safety-backup',
        title: `Back up ${db.database} as it is now (safety backup from CronJob ${db.backupCronJob})`,
      });
    steps.push(
      { id: 'restore', title: `Restore ${dump} into ${where}` },
      {
        id: 'verify',
        title: o.adopt
          ? `Adopt ${dump}: write its manifest from ${o.restoreDatabase} (it has none: made outside pg-backup)`
          : `Verify ${o.restoreDatabase} against the manifest of ${dump}`,
      },
    );
    if (request.kind === 'verify' || request.kind === 'drill')
      steps.push({
        id: 'cleanup',
        title: `Drop the scratch database ${o.restoreDatabase}`,
      });
    if (request.kind === 'emergency')
      steps.push({
        id: 'scale-back',
        title: deployments
          ? `Scale ${deployments} back to the recorded replicas`
          : 'No Deployments to scale back',
      });
    if (request.kind === 'drill')
      steps.push({
        id: 'record',
        title: `Record the drill with its measured recovery time (RTO objective ${formatDuration(
          db.objectives.rtoMs,
        )})`,
      });
    return steps;
  }
}
