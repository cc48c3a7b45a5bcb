import {
  ApprovalRequest,
  ApprovalState,
  RecoveryOperationKind,
  RestoreTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { Knex } from 'knex';

const TABLE = 'pg_backup_approvals';

/** An approval request as stored; its state depends on the time it is read at. */
export interface StoredApproval {
  id: string;
  entityRef: string;
  kind: RecoveryOperationKind;
  backupKey?: string;
  target?: RestoreTarget;
  reason: string;
  requestedBy: string;
  /** Undefined while pending. */
  decision?: 'approved' | 'rejected';
  createdAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  usedByOperation?: string;
}

interface Row {
  id: string;
  entity_ref: string;
  kind: RecoveryOperationKind;
  backup_key: string | null;
  target: string | null;
  reason: string;
  requested_by: string;
  decision: 'approved' | 'rejected' | null;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
  used_by_operation: string | null;
}

function toApproval(row: Row): StoredApproval {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    kind: row.kind,
    ...(row.backup_key && { backupKey: row.backup_key }),
    ...(row.target && { target: JSON.parse(row.target) as RestoreTarget }),
    reason: row.reason,
    requestedBy: row.requested_by,
    ...(row.decision && { decision: row.decision }),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.decided_by && { decidedBy: row.decided_by }),
    ...(row.decided_at && { decidedAt: row.decided_at }),
    ...(row.comment && { comment: row.comment }),
    ...(row.used_by_operation && { usedByOperation: row.used_by_operation }),
  };
}

/**
 * The state of a request at `now`: a pending request, and an approval not yet used, expire at
 * `expiresAt`; a rejection or a used approval keeps its state.
 */
export function approvalStateAt(
  approval: StoredApproval,
  now: Date,
): ApprovalState {
  if (approval.decision === 'rejected') return 'rejected';
  if (approval.usedByOperation) return 'approved';
  if (Date.parse(approval.expiresAt) <= now.getTime()) return 'expired';
  return approval.decision ?? 'pending';
}

/** The API view of a stored request at `now`. */
export function toApprovalRequest(
  approval: StoredApproval,
  now: Date,
): ApprovalRequest {
  const { decision: _decision, ...rest } = approval;
  return { ...rest, state: approvalStateAt(approval, now) };
}

/** Approval requests: created, decided once, used once. */
export class ApprovalStore {
  constructor(private readonly knex: Knex) {}

  /** Stores a new pending request. */
  async create(approval: StoredApproval): Promise<void> {
    await this.knex<Row>(TABLE).insert({
      id: approval.id,
      entity_ref: approval.entityRef,
      kind: approval.kind,
      backup_key: approval.backupKey ?? null,
      target: approval.target ? JSON.stringify(approval.target) : null,
      reason: approval.reason,
      requested_by: approval.requestedBy,
      decision: null,
      created_at: approval.createdAt,
      expires_at: approval.expiresAt,
      decided_by: null,
      decided_at: null,
      comment: null,
      used_by_operation: null,
    });
  }

  /** One request. */
  async get(id: string): Promise<StoredApproval | undefined> {
    const row = await this.knex<Row>(TABLE).where('id', id).first();
    return row ? toApproval(row) : undefined;
  }

  /** A database's requests, newest first. */
  async listForEntity(
    entityRef: string,
    limit: number,
  ): Promise<StoredApproval[]> {
    const rows = await this.knex<Row>(TABLE)
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toApproval);
  }

  /** Requests still waiting for a decision at `now`, oldest first. */
  async listPending(now: Date, limit: number): Promise<StoredApproval[]> {
    const rows = await this.knex<Row>(TABLE)
      .whereNull('decision')
      .where('expires_at', '>', now.toISOString())
      .orderBy('created_at')
      .limit(limit);
    return rows.map(toApproval);
  }

  /** Records a decision on a request still pending at `now`; false when it was not pending. */
  async decide(
    id: string,
    decision: 'approved' | 'rejected',
    decidedBy: string,
    now: Date,
    comment?: string,
  ): Promise<boolean> {
    const updated = await this.knex<Row>(TABLE)
      .where('id', id)
      .whereNull('decision')
      .where('expires_at', '>', now.toISOString())
      .update({
        decision,
        decided_by: decidedBy,
        decided_at: now.toISOString(),
        comment: comment ?? null,
      });
    return updated > 0;
  }

  /**
   * Marks an approval used by an operation, inside the transaction that creates the operation;
   * false when it is not an approval or was already used (so it is used exactly once).
   */
  async markUsed(
    id: string,
    operationId: string,
    trx: Knex.Transaction,
  ): Promise<boolean> {
    const updated = await trx<Row>(TABLE)
      .where({ id, decision: 'approved' })
      .whereNull('used_by_operation')
      .update({ used_by_operation: operationId });
    return updated > 0;
  }
}
