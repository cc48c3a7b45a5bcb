import { randomUUID } from 'node:crypto';
import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  CustomErrorBase,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  BackupTarget,
  OperationPlan,
  RecoveryOperation,
  StartOperationRequest,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { ApprovalStore } from '../database/ApprovalStore';
import {
  OperationConflict,
  OperationStore,
  StoredOperation,
  TERMINAL_STATES,
} from '../database/OperationStore';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { KubernetesGateways } from '../kubernetes/KubernetesGateways';
import { RecoverySettings } from '../PgBackupConfig';
import { reasonOf } from '../upstream';
import { JobRunner } from './JobRunner';
import { OperationPlanner } from './OperationPlanner';
import { OperationRunner } from './OperationRunner';

/** The answer to a start request. */
export type StartResult =
  | { kind: 'plan'; plan: OperationPlan }
  /** `created` false: an earlier request with the same idempotency key started it. */
  | { kind: 'operation'; operation: RecoveryOperation; created: boolean };

class ApprovalAlreadyUsed extends CustomErrorBase {
  name = 'ApprovalAlreadyUsed' as const;
}

/** The API view of a stored operation (without the engine's bookkeeping). */
export function toRecoveryOperation(op: StoredOperation): RecoveryOperation {
  const {
    context: _context,
    cancelRequested: _cancel,
    idempotencyKey: _key,
    drill: _drill,
    ...operation
  } = op;
  return operation;
}

/**
 * Starts, follows and cancels recovery operations. Each operation is stored with its steps and
 * its database's lock in one transaction, then run in the background by an
 * {@link OperationRunner} on the backend that accepted it, which holds a lease on it. A backend
 * that finds operations whose lease expired (their backend stopped or crashed) resumes them
 * where they were, following their running Job rather than starting it again.
 */
export class RecoveryEngine {
  /** This backend's identity as a runner. */
  readonly runnerId = randomUUID();
  private readonly runners = new Map<
    string,
    { runner: OperationRunner; done: Promise<void> }
  >();
  private readonly jobs: JobRunner;
  private stopped = false;

  constructor(
    private readonly deps: {
      operations: OperationStore;
      approvals: ApprovalStore;
      records: RecoveryRecordStore;
      planner: OperationPlanner;
      kubernetes: KubernetesGateways;
      logger: LoggerService;
      settings: RecoverySettings;
      onRecordsChanged: (entityRef: string) => void;
      now?: () => Date;
    },
  ) {
    this.jobs = new JobRunner(deps.settings.pollIntervalMs);
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  private leaseUntil(): string {
    return new Date(
      this.now().getTime() + this.deps.settings.leaseTimeoutMs,
    ).toISOString();
  }

  /** The operation an earlier request with this idempotency key started, if any. */
  private async startedBefore(
    db: BackupTarget,
    idempotencyKey: string,
  ): Promise<StartResult | undefined> {
    const existing = await this.deps.operations.findByIdempotencyKey(
      db.entityRef,
      idempotencyKey,
    );
    return existing
      ? {
          kind: 'operation',
          operation: toRecoveryOperation(existing),
          created: false,
        }
      : undefined;
  }

  /**
   * Starts an operation for a trusted backend service (the scaffolder, after an approval wait
   * that outlasted the initiator's token). Only an operation that needs an approval and names
   * one that covers it (the same checks as {@link start}: approved, unexpired, unused, this
   * database, kind, backup and target) starts; it is attributed to the approval's requester,
   * whose permission was checked when they requested it. Dry runs and anything else: 403.
   */
  async startApproved(
    request: StartOperationRequest,
    db: BackupTarget,
    service: string,
  ): Promise<{ result: StartResult; requestedBy: string }> {
    if (request.dryRun)
      throw new NotAllowedError(
        `service ${service} cannot plan dry runs; a person plans them`,
      );
    if (!request.approvalId)
      throw new NotAllowedError(
        `service ${service} may only start an operation an approval covers; pass the approved request's approvalId`,
      );
    const approval = await this.deps.approvals.get(request.approvalId);
    if (!approval || approval.entityRef !== db.entityRef)
      throw new NotAllowedError(
        `approval ${request.approvalId} does not exist for ${db.entityRef}; service ${service} may only start an operation an approval covers`,
      );
    const result = await this.start(request, db, approval.requestedBy, {
      approvedOnly: true,
    });
    return { result, requestedBy: approval.requestedBy };
  }

  /**
   * Plans (dry run) or starts an operation. Refusals are thrown: 400 for bad input or an
   * incomplete backup, 403 for a missing or unusable approval, 409 while another operation of
   * the database runs. A repeated idempotency key returns the first operation. With
   * `approvedOnly` (a service's start), only an operation a valid approval covers starts, and a
   * repeated key returns only an operation started with the same approval.
   */
  async start(
    request: StartOperationRequest,
    db: BackupTarget,
    requestedBy: string,
    options: { approvedOnly?: boolean } = {},
  ): Promise<StartResult> {
    const replayed = (existing: StartResult | undefined) => {
      if (
        existing?.kind === 'operation' &&
        options.approvedOnly &&
        existing.operation.approvalId !== request.approvalId
      )
        throw new NotAllowedError(
          `idempotency key ${request.idempotencyKey} started operation ${existing.operation.id}, which approval ${request.approvalId} does not cover`,
        );
      return existing;
    };
    if (request.idempotencyKey && !request.dryRun) {
      const existing = replayed(
        await this.startedBefore(db, request.idempotencyKey),
      );
      if (existing) return existing;
    }
    const planned = await this.deps.planner.plan(request, db, requestedBy);
    if (request.dryRun) return { kind: 'plan', plan: planned.plan };
    if (options.approvedOnly && planned.plan.approval !== 'valid')
      throw (
        planned.problems.find(p => p instanceof NotAllowedError) ??
        new NotAllowedError(
          `this ${request.kind} of ${db.entityRef} needs no approval, so approval ${request.approvalId} does not cover it; a backend service may only start an operation an approval covers`,
        )
      );
    if (planned.problems.length > 0) throw planned.problems[0];
    const op = planned.operation;
    try {
      await this.deps.operations.create(
        op,
        this.runnerId,
        this.leaseUntil(),
        async trx => {
          if (
            op.approvalId &&
            !(await this.deps.approvals.markUsed(op.approvalId, op.id, trx))
          )
            throw new ApprovalAlreadyUsed();
        },
      );
    } catch (error) {
      if (error instanceof ApprovalAlreadyUsed)
        throw new NotAllowedError(
          `approval ${op.approvalId} was used by another operation at the same time; each approval is used once`,
        );
      if (!(error instanceof OperationConflict)) throw error;
      if (request.idempotencyKey) {
        const existing = replayed(
          await this.startedBefore(db, request.idempotencyKey),
        );
        if (existing) return existing;
      }
      const holder = await this.deps.operations.lockHolder(db.entityRef);
      throw new ConflictError(
        holder
          ? `operation ${holder.operationId} (${holder.kind}) of ${db.entityRef} is running; only one restore, verify, emergency recovery or drill runs per database at a time`
          : `another operation of ${db.entityRef} was started at the same time; try again`,
      );
    }
    this.launch(new OperationRunner(op, this.runnerId, this.runnerDeps()));
    return {
      kind: 'operation',
      operation: toRecoveryOperation(op),
      created: true,
    };
  }

  private runnerDeps() {
    return {
      operations: this.deps.operations,
      records: this.deps.records,
      kubernetes: this.deps.kubernetes,
      jobs: this.jobs,
      logger: this.deps.logger,
      settings: this.deps.settings,
      onRecordsChanged: this.deps.onRecordsChanged,
      now: () => this.now(),
    };
  }

  private launch(runner: OperationRunner, work = () => runner.run()) {
    const done = work().finally(() => this.runners.delete(runner.id));
    this.runners.set(runner.id, { runner, done });
  }

  /** One operation; 404 when it does not exist. */
  async get(id: string): Promise<StoredOperation> {
    const op = await this.deps.operations.get(id);
    if (!op) throw new NotFoundError(`operation ${id} does not exist`);
    return op;
  }

  /** A database's operations, newest first. */
  async list(entityRef: string, limit: number): Promise<RecoveryOperation[]> {
    return (await this.deps.operations.listForEntity(entityRef, limit)).map(
      toRecoveryOperation,
    );
  }

  /**
   * Asks an operation to stop: its running Job is stopped, and scale-back and cleanup still run.
   * 409 when it already finished.
   */
  async cancel(id: string): Promise<RecoveryOperation> {
    const op = await this.get(id);
    if (
      TERMINAL_STATES.includes(op.state) ||
      !(await this.deps.operations.requestCancel(id))
    )
      throw new ConflictError(
        `operation ${id} already ${
          TERMINAL_STATES.includes(op.state) ? op.state : 'finished'
        }; there is nothing to cancel`,
      );
    this.runners.get(id)?.runner.cancel();
    return toRecoveryOperation(await this.get(id));
  }

  /**
   * Resumes every unfinished operation whose lease expired (its backend stopped or crashed)
   * where it was, in the background; returns how many. Run at start and on a schedule; each
   * operation is taken over by exactly one backend.
   */
  async resumeInterrupted(): Promise<number> {
    if (this.stopped) return 0;
    const claimed = await this.deps.operations.claimInterrupted(
      this.now().toISOString(),
      this.runnerId,
      this.leaseUntil(),
    );
    for (const op of claimed) {
      const running = op.steps.find(s => s.state === 'running');
      this.deps.logger.warn(
        `pg-backup: resuming ${op.kind} ${op.id} of ${op.entityRef}, left ${
          op.state
        }${running ? ` in step ${running.id}` : ''} by a backend that stopped`,
      );
      this.launch(new OperationRunner(op, this.runnerId, this.runnerDeps()));
    }
    return claimed.length;
  }

  /**
   * Resumes interrupted operations now, and regularly (`pg-backup-resume-interrupted-operations`,
   * a global task: whichever backend replica runs it) once their lease expired.
   */
  async schedule(scheduler: SchedulerService): Promise<void> {
    this.resumeInterrupted().catch(error =>
      this.deps.logger.error(
        `pg-backup: could not resume interrupted operations: ${reasonOf(
          error,
        )}`,
      ),
    );
    const leaseMs = this.deps.settings.leaseTimeoutMs;
    await scheduler.scheduleTask({
      id: 'pg-backup-resume-interrupted-operations',
      scope: 'global',
      frequency: { milliseconds: leaseMs },
      timeout: { minutes: 10 },
      initialDelay: { milliseconds: leaseMs },
      fn: async () => {
        await this.resumeInterrupted();
      },
    });
  }

  /**
   * Stops running operations on this backend without changing them, and lets their leases
   * expire now, so that the next backend to look resumes them.
   */
  async shutdown(): Promise<void> {
    this.stopped = true;
    const now = this.now().toISOString();
    for (const [id, { runner }] of this.runners) {
      runner.abandon();
      try {
        await this.deps.operations.releaseLease(id, this.runnerId, now);
      } catch (error) {
        this.deps.logger.warn(
          `pg-backup: could not release operation ${id}: ${reasonOf(error)}`,
        );
      }
    }
  }

  /** Resolves when no operation runs on this backend (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.runners.size > 0)
      await Promise.all([...this.runners.values()].map(r => r.done));
  }
}
