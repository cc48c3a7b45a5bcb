import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  ApprovalDecision,
  ApprovalRequest,
  ApprovalRequestBody,
  BackupTarget,
  RecoveryOperationKind,
  RestoreTarget,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import {
  ApprovalStore,
  StoredApproval,
  approvalStateAt,
  toApprovalRequest,
} from '../database/ApprovalStore';
import { reasonOf } from '../upstream';
import { BackupSelector } from './BackupSelector';
import { checkRestoreTarget } from './restoreTargets';

/** What an operation asks an approval to cover. */
export interface ApprovalUse {
  entityRef: string;
  kind: RecoveryOperationKind;
  backupKey: string;
  target?: RestoreTarget;
  /** Who starts the operation. */
  requestedBy: string;
}

const describeTarget = (t: RestoreTarget) =>
  `${t.kind} ${t.database}${t.namespace ? ` in ${t.namespace}` : ''}${
    t.cluster ? ` (${t.cluster})` : ''
  }`;

/**
 * Approval requests: a second person must approve a restore over a live database or an
 * emergency recovery. The requester can never approve their own request; requests expire;
 * approvers (the database's owner) are notified, and so is the requester of the decision.
 * The backup is resolved when the request is made, so approvers see exactly what will be restored.
 */
export class ApprovalService {
  constructor(
    private readonly deps: {
      store: ApprovalStore;
      selector: BackupSelector;
      notifications: NotificationService;
      logger: LoggerService;
      expiryMs: number;
      /** The link to a database's pg-backup tab. */
      entityLink: (entityRef: string) => string;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /** Creates a pending request and notifies the database's owner. */
  async request(
    body: ApprovalRequestBody,
    resolved: { entity: Entity; target: BackupTarget },
    requestedBy: string,
  ): Promise<ApprovalRequest> {
    const { target: db } = resolved;
    if (body.kind !== 'restore' && body.kind !== 'emergency')
      throw new InputError(
        `kind "${body.kind}" needs no approval; approvals are for restore and emergency`,
      );
    let target = body.target;
    if (body.kind === 'emergency') {
      if (target && (target.kind !== 'live' || target.database !== db.database))
        throw new InputError(
          `an emergency recovery restores over the live database ${db.database}; target must be omitted or { kind: live, database: ${db.database} }`,
        );
      target = { kind: 'live', database: db.database };
    } else if (target) {
      checkRestoreTarget(target, db);
    }
    const now = this.now();
    const backup = await this.deps.selector.select(db, body.backupKey, now);
    const approval: StoredApproval = {
      id: randomUUID(),
      entityRef: db.entityRef,
      kind: body.kind,
      backupKey: backup.key,
      ...(target && { target }),
      reason: body.reason,
      requestedBy,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.expiryMs).toISOString(),
    };
    await this.deps.store.create(approval);
    const owner = resolved.entity.spec?.owner;
    if (typeof owner === 'string')
      await this.notify(
        { type: 'entity', entityRef: owner, excludeEntityRef: requestedBy },
        approval,
        `approval:${approval.id}`,
        `Approval requested: ${body.kind} of ${db.database}`,
        `${requestedBy} asks to ${
          body.kind === 'emergency' ? 'run an emergency recovery of' : 'restore'
        } ${db.database} from ${backup.key}${
          target ? ` into ${describeTarget(target)}` : ''
        }: ${body.reason}. Expires ${approval.expiresAt}.`,
        'high',
      );
    return toApprovalRequest(approval, now);
  }

  /** One request; 404 when it does not exist. */
  async get(id: string): Promise<ApprovalRequest> {
    const approval = await this.deps.store.get(id);
    if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
    return toApprovalRequest(approval, this.now());
  }

  /** A database's requests, newest first. */
  async listForEntity(entityRef: string): Promise<ApprovalRequest[]> {
    const now = this.now();
    return (await this.deps.store.listForEntity(entityRef, 100)).map(a =>
      toApprovalRequest(a, now),
    );
  }

  /** Requests waiting for a decision that `user` did not make themselves, oldest first. */
  async listPendingFor(user: string): Promise<ApprovalRequest[]> {
    const now = this.now();
    return (await this.deps.store.listPending(now, 500))
      .filter(a => a.requestedBy !== user)
      .map(a => toApprovalRequest(a, now));
  }

  /** Approves or rejects a pending request; the requester may reject (withdraw) but never approve it. */
  async decide(
    id: string,
    decision: ApprovalDecision,
    decidedBy: string,
  ): Promise<ApprovalRequest> {
    const approval = await this.deps.store.get(id);
    if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
    if (decision.decision === 'approve' && approval.requestedBy === decidedBy)
      throw new NotAllowedError(
        `${decidedBy} requested approval ${id} and can never approve it; another person with pg-backup.restore.approve must decide it`,
      );
    const now = this.now();
    const state = approvalStateAt(approval, now);
    if (state !== 'pending')
      throw new ConflictError(
        `approval ${id} is already ${state}${
          approval.decidedBy ? ` (by ${approval.decidedBy})` : ''
        }; only pending requests can be decided`,
      );
    const decided = decision.decision === 'approve' ? 'approved' : 'rejected';
    if (
      !(await this.deps.store.decide(
        id,
        decided,
        decidedBy,
        now,
        decision.comment,
      ))
    )
      throw new ConflictError(
        `approval ${id} was decided or expired at the same time; read it again`,
      );
    const updated = (await this.deps.store.get(id))!;
    await this.notify(
      { type: 'entity', entityRef: approval.requestedBy },
      updated,
      `approval-decision:${approval.id}`,
      `Your ${approval.kind} request was ${decided}`,
      `${decidedBy} ${decided} the ${approval.kind} of ${
        approval.entityRef
      } from ${approval.backupKey}${
        decision.comment ? `: ${decision.comment}` : ''
      }`,
      'normal',
    );
    return toApprovalRequest(updated, now);
  }

  /**
   * Why an approval cannot cover an operation (a 403 error), or undefined when it can: it must
   * be for this database and kind, approved, not expired, not used, decided by someone other
   * than the operation's requester, and name the same backup and target when it names them.
   */
  async problemWith(
    approvalId: string,
    use: ApprovalUse,
  ): Promise<NotAllowedError | undefined> {
    const a = await this.deps.store.get(approvalId);
    const refuse = (why: string) =>
      new NotAllowedError(`approval ${approvalId} ${why}`);
    if (!a) return refuse('does not exist');
    if (a.entityRef !== use.entityRef)
      return refuse(`is for ${a.entityRef}, not ${use.entityRef}`);
    if (a.kind !== use.kind)
      return refuse(`approves a ${a.kind}, not a ${use.kind}`);
    const state = approvalStateAt(a, this.now());
    if (state === 'pending')
      return refuse(
        'is still pending; another person with pg-backup.restore.approve must approve it first',
      );
    if (state === 'rejected')
      return refuse(
        `was rejected by ${a.decidedBy}${a.comment ? `: ${a.comment}` : ''}`,
      );
    if (state === 'expired')
      return refuse(`expired at ${a.expiresAt}; request a new approval`);
    if (a.usedByOperation)
      return refuse(
        `was already used by operation ${a.usedByOperation}; each approval is used once`,
      );
    if (a.decidedBy === use.requestedBy)
      return refuse(
        `was approved by ${use.requestedBy}, who starts this operation; it must be approved by someone else`,
      );
    if (use.target?.kind === 'live' && a.target?.kind !== 'live')
      return refuse(
        'does not approve a restore over the live database; request one with target { kind: live }',
      );
    if (a.backupKey && a.backupKey !== use.backupKey)
      return refuse(`is for backup ${a.backupKey}, not ${use.backupKey}`);
    if (
      a.target &&
      use.target &&
      describeTarget(a.target) !== describeTarget(use.target)
    )
      return refuse(
        `is for target ${describeTarget(a.target)}, not ${describeTarget(
          use.target,
        )}`,
      );
    return undefined;
  }

  /** The stored request, for defaults (its backup and target) when an operation omits them. */
  async find(approvalId: string): Promise<StoredApproval | undefined> {
    return this.deps.store.get(approvalId);
  }

  private async notify(
    recipients: Parameters<NotificationService['send']>[0]['recipients'],
    approval: StoredApproval,
    scope: string,
    title: string,
    description: string,
    severity: 'high' | 'normal',
  ) {
    try {
      await this.deps.notifications.send({
        recipients,
        payload: {
          title,
          description,
          link: this.deps.entityLink(approval.entityRef),
          severity,
          topic: `pg-backup:${approval.entityRef}`,
          scope,
        },
      });
    } catch (error) {
      // The request stands even if the notification could not be delivered.
      this.deps.logger.warn(
        `pg-backup: could not notify about approval ${approval.id}: ${reasonOf(
          error,
        )}`,
      );
    }
  }
}
