import { CustomErrorBase } from '@backstage/errors';
import {
  DrillChecklistItem,
  OperationState,
  OperationStep,
  RecoveryOperation,
  RecoveryOperationKind,
  RestoreTarget,
  VerificationReport,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { Knex } from 'knex';

const OPERATIONS = 'pg_backup_operations';
const LOCKS = 'pg_backup_operation_locks';

/** States an operation never leaves. */
export const TERMINAL_STATES: readonly OperationState[] = [
  'succeeded',
  'failed',
  'cancelled',
];

/** Where an operation's Jobs and Deployments are, kept so that any backend can end it after a restart. */
export interface OperationContext {
  /** Cluster of the database entity (its CronJob and Deployments); undefined: the only one. */
  cluster?: string;
  /** Namespace of the CronJob and the Deployments. */
  namespace: string;
  /** The CronJob the operation's Jobs are built from. */
  cronJob: string;
  /** Cluster and namespace the restore, verify and cleanup Jobs run in. */
  jobCluster?: string;
  jobNamespace: string;
  /** Bucket and key prefix of the backup (BACKUP_FILE is the key relative to the prefix). */
  bucket: string;
  prefix: string;
  /** The database the restore writes and the verification reads. */
  restoreDatabase: string;
  /** Whether `restoreDatabase` is a scratch copy, dropped afterwards. */
  scratch: boolean;
  /** A verify adopting a dump without a manifest: the restore records its bytes, the verify writes the manifest. */
  adopt?: boolean;
  /** What the restore of an adopted dump read, passed to its verify. */
  adoptedBytes?: { sizeBytes: number; sha256: string };
  /** The Deployments scaled to 0 during an emergency recovery. */
  deployments: string[];
}

/** An operation as stored: the API view plus what the engine needs to run and end it. */
export interface StoredOperation extends RecoveryOperation {
  context: OperationContext;
  cancelRequested: boolean;
  idempotencyKey?: string;
  /** Drill evidence given at the start. */
  drill?: { checklist?: DrillChecklistItem[]; notes?: string };
}

/** The operation holding a database's lock. */
export interface LockHolder {
  operationId: string;
  kind: RecoveryOperationKind;
}

/** Thrown by {@link OperationStore.create} when the database's lock or the idempotency key is taken. */
export class OperationConflict extends CustomErrorBase {
  name = 'OperationConflict' as const;

  constructor(readonly entityRef: string) {
    super(`an operation of ${entityRef} holds the lock or the idempotency key`);
  }
}

interface Row {
  id: string;
  entity_ref: string;
  kind: RecoveryOperationKind;
  state: OperationState;
  requested_by: string;
  backup_key: string;
  target: string | null;
  approval_id: string | null;
  reason: string | null;
  steps: string;
  recorded_replicas: string | null;
  verification: string | null;
  measured_rto_ms: number | string | null;
  rto_objective_ms: number | string | null;
  context: string;
  drill: string | null;
  idempotency_key: string | null;
  cancel_requested: boolean | number;
  runner_id: string | null;
  lease_expires_at: string | null;
  created_at: string;
  finished_at: string | null;
  error: string | null;
}

const json = (value: unknown) =>
  value === undefined ? null : JSON.stringify(value);
const parse = <T>(text: string | null): T | undefined =>
  text === null ? undefined : (JSON.parse(text) as T);

/** True for a unique or primary key violation on PostgreSQL or SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return (
    e?.code === '23505' ||
    /SQLITE_CONSTRAINT_(PRIMARYKEY|UNIQUE)/.test(e?.code ?? '') ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}

function toOperation(row: Row): StoredOperation {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    kind: row.kind,
    state: row.state,
    requestedBy: row.requested_by,
    backupKey: row.backup_key,
    ...(row.target && { target: parse<RestoreTarget>(row.target) }),
    ...(row.approval_id && { approvalId: row.approval_id }),
    ...(row.reason && { reason: row.reason }),
    steps: parse<OperationStep[]>(row.steps) ?? [],
    ...(row.recorded_replicas && {
      recordedReplicas: parse<Record<string, number>>(row.recorded_replicas),
    }),
    ...(row.verification && {
      verification: parse<VerificationReport>(row.verification),
    }),
    ...(row.measured_rto_ms !== null && {
      measuredRtoMs: Number(row.measured_rto_ms),
    }),
    ...(row.rto_objective_ms !== null && {
      rtoObjectiveMs: Number(row.rto_objective_ms),
    }),
    createdAt: row.created_at,
    ...(row.finished_at && { finishedAt: row.finished_at }),
    ...(row.error && { error: row.error }),
    context: parse<OperationContext>(row.context)!,
    cancelRequested: Boolean(row.cancel_requested),
    ...(row.idempotency_key && { idempotencyKey: row.idempotency_key }),
    ...(row.drill && { drill: parse(row.drill) }),
  };
}

/** The columns a runner changes while it works. */
function progressColumns(op: StoredOperation) {
  return {
    state: op.state,
    steps: JSON.stringify(op.steps),
    recorded_replicas: json(op.recordedReplicas),
    verification: json(op.verification),
    measured_rto_ms: op.measuredRtoMs ?? null,
    error: op.error ?? null,
  };
}

/**
 * Recovery operations and the per-database lock. An operation is inserted together with its
 * database's lock (and anything else the caller does in the same transaction, such as using an
 * approval), and released together with its terminal state, so that across backend replicas at
 * most one operation runs per database. Every write of a runner is conditional on the runner
 * still owning the operation, so a backend that lost it (to a restart recovery) cannot
 * overwrite the outcome.
 */
export class OperationStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Inserts the operation and takes its database's lock in one transaction, leased to
   * `runnerId` until `leaseExpiresAt`; `inTransaction` runs in the same transaction. Throws
   * {@link OperationConflict} when the lock or the idempotency key is already taken.
   */
  async create(
    op: StoredOperation,
    runnerId: string,
    leaseExpiresAt: string,
    inTransaction?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<void> {
    try {
      await this.knex.transaction(async trx => {
        await trx(LOCKS).insert({
          entity_ref: op.entityRef,
          operation_id: op.id,
          kind: op.kind,
          acquired_at: op.createdAt,
        });
        await trx(OPERATIONS).insert({
          id: op.id,
          entity_ref: op.entityRef,
          kind: op.kind,
          requested_by: op.requestedBy,
          backup_key: op.backupKey,
          target: json(op.target),
          approval_id: op.approvalId ?? null,
          reason: op.reason ?? null,
          rto_objective_ms: op.rtoObjectiveMs ?? null,
          context: JSON.stringify(op.context),
          drill: json(op.drill),
          idempotency_key: op.idempotencyKey ?? null,
          cancel_requested: false,
          runner_id: runnerId,
          lease_expires_at: leaseExpiresAt,
          created_at: op.createdAt,
          finished_at: null,
          ...progressColumns(op),
        });
        await inTransaction?.(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new OperationConflict(op.entityRef);
      throw error;
    }
  }

  /** The operation holding a database's lock, if any. */
  async lockHolder(entityRef: string): Promise<LockHolder | undefined> {
    const row = await this.knex(LOCKS).where('entity_ref', entityRef).first();
    return row ? { operationId: row.operation_id, kind: row.kind } : undefined;
  }

  /** The operation started with this idempotency key for this database, if any. */
  async findByIdempotencyKey(
    entityRef: string,
    key: string,
  ): Promise<StoredOperation | undefined> {
    const row = await this.knex<Row>(OPERATIONS)
      .where({ entity_ref: entityRef, idempotency_key: key })
      .first();
    return row ? toOperation(row) : undefined;
  }

  /** One operation. */
  async get(id: string): Promise<StoredOperation | undefined> {
    const row = await this.knex<Row>(OPERATIONS).where('id', id).first();
    return row ? toOperation(row) : undefined;
  }

  /** A database's operations, newest first. */
  async listForEntity(
    entityRef: string,
    limit: number,
  ): Promise<StoredOperation[]> {
    const rows = await this.knex<Row>(OPERATIONS)
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toOperation);
  }

  /** Saves a runner's progress; false when the runner no longer owns the operation. */
  async saveProgress(op: StoredOperation, runnerId: string): Promise<boolean> {
    const updated = await this.knex<Row>(OPERATIONS)
      .where({ id: op.id, runner_id: runnerId })
      .update(progressColumns(op));
    return updated > 0;
  }

  /**
   * Saves a terminal state and releases the database's lock in one transaction; false (and
   * nothing changed) when the runner no longer owns the operation.
   */
  async finish(op: StoredOperation, runnerId: string): Promise<boolean> {
    return this.knex.transaction(async trx => {
      const updated = await trx<Row>(OPERATIONS)
        .where({ id: op.id, runner_id: runnerId })
        .update({
          ...progressColumns(op),
          finished_at: op.finishedAt ?? null,
          runner_id: null,
          lease_expires_at: null,
        });
      if (updated === 0) return false;
      await trx(LOCKS).where('operation_id', op.id).delete();
      return true;
    });
  }

  /** Asks the runner to cancel; false when the operation already finished. */
  async requestCancel(id: string): Promise<boolean> {
    const updated = await this.knex<Row>(OPERATIONS)
      .where('id', id)
      .whereNotIn('state', TERMINAL_STATES as OperationState[])
      .update({ cancel_requested: true });
    return updated > 0;
  }

  /** Whether cancellation was asked for. */
  async isCancelRequested(id: string): Promise<boolean> {
    const row = await this.knex<Row>(OPERATIONS)
      .where('id', id)
      .select('cancel_requested')
      .first();
    return Boolean(row?.cancel_requested);
  }

  /** Extends a runner's lease; false when it no longer owns the operation. */
  async renewLease(
    id: string,
    runnerId: string,
    expiresAt: string,
  ): Promise<boolean> {
    const updated = await this.knex<Row>(OPERATIONS)
      .where({ id, runner_id: runnerId })
      .update({ lease_expires_at: expiresAt });
    return updated > 0;
  }

  /** Lets a runner's lease expire now (its backend is shutting down), so any backend may end it. */
  async releaseLease(id: string, runnerId: string, now: string): Promise<void> {
    await this.knex<Row>(OPERATIONS)
      .where({ id, runner_id: runnerId })
      .update({ lease_expires_at: now });
  }

  /**
   * Takes over every unfinished operation whose lease expired before `now` (its backend
   * stopped or crashed), each by a conditional update so that only one backend gets it.
   */
  async claimInterrupted(
    now: string,
    runnerId: string,
    leaseExpiresAt: string,
  ): Promise<StoredOperation[]> {
    const rows = await this.knex<Row>(OPERATIONS)
      .whereNotIn('state', TERMINAL_STATES as OperationState[])
      .where(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      );
    const claimed: StoredOperation[] = [];
    for (const row of rows) {
      let query = this.knex<Row>(OPERATIONS).where('id', row.id);
      query =
        row.lease_expires_at === null
          ? query.whereNull('lease_expires_at')
          : query.where('lease_expires_at', row.lease_expires_at);
      const updated = await query.update({
        runner_id: runnerId,
        lease_expires_at: leaseExpiresAt,
      });
      if (updated > 0) claimed.push(toOperation(row));
    }
    return claimed;
  }
}
