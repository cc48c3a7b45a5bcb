/*
 * The recovery API of the pg-backup backend: restores, verifications, emergency recoveries and
 * drills run as server-side operations, approvals gate the dangerous ones, and drill records are
 * the evidence. The scaffolder actions are thin clients of these routes (under /api/pg-backup).
 *
 *   POST /entities/:kind/:namespace/:name/operations         start (202) or plan (dryRun, 200)
 *   GET  /entities/:kind/:namespace/:name/operations         history, newest first ({ items })
 *   GET  /operations/:id                                     one operation, to follow
 *   POST /operations/:id/cancel                              cancel (scale-back still happens)
 *   POST /entities/:kind/:namespace/:name/approvals          request an approval (201)
 *   GET  /entities/:kind/:namespace/:name/approvals          the database's requests ({ items })
 *   GET  /approvals?state=pending                            requests the user may decide ({ items })
 *   GET  /approvals/:id                                      one request
 *   POST /approvals/:id/decision                             approve or reject, with a comment
 *   GET  /entities/:kind/:namespace/:name/drills             drill records, newest first ({ items })
 */
import { DrillFacts } from '../health/types';

/**
 * What an operation does.
 *
 * @public
 */
export type RecoveryOperationKind =
  /** Restore a backup into a target database. */
  | 'restore'
  /** Restore into a scratch database, compare with the manifest, drop the scratch copy. */
  | 'verify'
  /** Scale the dependent Deployments to 0, restore over the live database, verify, scale back. */
  | 'emergency'
  /** A verify whose recovery time is measured against the RTO and recorded as a drill. */
  | 'drill';

/**
 * Where a restore goes.
 *
 * @public
 */
export interface RestoreTarget {
  /**
   * `new-database` (default): a database that must not exist yet, in the same server.
   * `other-namespace`: the database server of another namespace or cluster (the QAWave runbook's
   * "recovery to a new cluster"); needs `namespace` and optionally `cluster`.
   * `live`: over the database itself; needs an approval, the typed confirmation and takes a
   * safety backup first.
   */
  kind: 'new-database' | 'other-namespace' | 'live';
  /**
   * Target database name (1-63 letters, digits, `_` or `-`, starting with a letter or `_`: the
   * suite's `checkDatabaseName`); for `live` it must be the entity's database.
   */
  database: string;
  /** Target namespace for `other-namespace`. */
  namespace?: string;
  /** Target cluster for `other-namespace`, from `kubernetes.clusterLocatorMethods`. */
  cluster?: string;
}

/**
 * One checklist item of a drill (the QAWave runbook's pre/during/post drill checklist).
 *
 * @public
 */
export interface DrillChecklistItem {
  /** `pre`, `during` or `post`. */
  phase: 'pre' | 'during' | 'post';
  /** What was checked, e.g. "Notify stakeholders". */
  item: string;
  /** Whether it was done. */
  done: boolean;
}

/**
 * The body of `POST .../operations`.
 *
 * @public
 */
export interface StartOperationRequest {
  /** What to do. */
  kind: RecoveryOperationKind;
  /** Backup object key; default: the newest verified complete backup, else the newest complete one. */
  backupKey?: string;
  /** For `restore` (default `new-database` named `<database>_restored_<yyyymmddhhmm>`). */
  target?: RestoreTarget;
  /** Approval id, required for `live` restores and `emergency` (and any restore if configured). */
  approvalId?: string;
  /** The database name typed by the user, required for `live` restores and `emergency`. */
  confirmation?: string;
  /** Why, for the audit trail and the approvers. */
  reason?: string;
  /** For drills: the checklist items with their state. */
  checklist?: DrillChecklistItem[];
  /** For drills: lessons learned. */
  notes?: string;
  /** Return the plan without changing anything. */
  dryRun?: boolean;
  /**
   * A caller-chosen id (e.g. the scaffolder task id and step) that makes the request idempotent:
   * a second request with the same key returns the first operation instead of starting another.
   */
  idempotencyKey?: string;
}

/**
 * State of an operation or one of its steps.
 *
 * @public
 */
export type OperationState =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/**
 * One step of an operation, e.g. "scale down backend", "restore", "verify", "scale back".
 *
 * @public
 */
export interface OperationStep {
  /** Stable step id: `safety-backup`, `scale-down`, `check-postgres`, `restore`, `verify`, `scale-back`, `cleanup`, `record`. */
  id: string;
  /** The step in words, with the figures that matter. */
  title: string;
  /** Its state. */
  state: OperationState;
  /** When it started (ISO-8601). */
  startedAt?: string;
  /** When it finished (ISO-8601). */
  finishedAt?: string;
  /** The Kubernetes Job the step runs, for its logs. */
  job?: string;
  /** What happened, or why it failed. */
  detail?: string;
}

/**
 * One check of a verification (the agent's report).
 *
 * @public
 */
export interface VerificationCheck {
  /** `tableCount`, `rows:<schema.table>` or `flywayVersion` (as the agent names them). */
  name: string;
  /** The value the backup manifest recorded. */
  expected: string | number | null;
  /** The value read from the restored database. */
  actual: string | number | null;
  /** Whether the two agree. */
  passed: boolean;
}

/**
 * The agent's verification report.
 *
 * @public
 */
export interface VerificationReport {
  /** The backup that was restored and checked. */
  backupKey: string;
  /** The scratch or target database the checks ran in. */
  database: string;
  /** Whether every check passed. */
  passed: boolean;
  /** Every check, in the order the agent ran them. */
  checks: VerificationCheck[];
  /** When the checks ran (ISO-8601). */
  checkedAt: string;
}

/**
 * A restore, verify, emergency recovery or drill, as the backend runs it.
 *
 * @public
 */
export interface RecoveryOperation {
  /** Operation id. */
  id: string;
  /** The database entity. */
  entityRef: string;
  /** What the operation does. */
  kind: RecoveryOperationKind;
  /** Its state; `succeeded`, `failed` and `cancelled` are final. */
  state: OperationState;
  /** Who started it (user entity ref). */
  requestedBy: string;
  /** The backup restored. */
  backupKey: string;
  /** Where it was restored (restore and emergency). */
  target?: RestoreTarget;
  /** The approval it ran under. */
  approvalId?: string;
  /** Why it was started, as the requester wrote it. */
  reason?: string;
  /** Steps in order. */
  steps: OperationStep[];
  /** Replica counts recorded before scaling down (emergency), by Deployment name. */
  recordedReplicas?: Record<string, number>;
  /** The verification report (verify, drill, emergency, and restores that verify). */
  verification?: VerificationReport;
  /** Start to verified, in milliseconds (drill and emergency). */
  measuredRtoMs?: number;
  /** The database's RTO objective, in milliseconds. */
  rtoObjectiveMs?: number;
  /** When it was started (ISO-8601). */
  createdAt: string;
  /** When it reached a final state (ISO-8601). */
  finishedAt?: string;
  /** Why it failed or was cancelled. */
  error?: string;
}

/**
 * The answer to a dry run: what would happen, with nothing changed.
 *
 * @public
 */
export interface OperationPlan {
  /** What the operation would do. */
  kind: RecoveryOperationKind;
  /** The database entity. */
  entityRef: string;
  /** The backup that would be restored. */
  backupKey: string;
  /** Where it would be restored. */
  target?: RestoreTarget;
  /** The steps that would run, in order. */
  steps: Array<Pick<OperationStep, 'id' | 'title'>>;
  /** Whether an approval is needed, and whether the given one is valid. */
  approval: 'not-needed' | 'missing' | 'valid';
  /** Problems that would make the real request fail (empty when it would start). */
  problems: string[];
}

/**
 * State of an approval request.
 *
 * @public
 */
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

/**
 * The body of `POST .../approvals`.
 *
 * @public
 */
export interface ApprovalRequestBody {
  /** The operation to approve. */
  kind: RecoveryOperationKind;
  /** The backup to restore; default: as for the operation. */
  backupKey?: string;
  /** Where it would be restored. */
  target?: RestoreTarget;
  /** Why the restore is needed. */
  reason: string;
}

/**
 * A request for a second person to approve a restore.
 *
 * @public
 */
export interface ApprovalRequest {
  /** Approval id, passed as `approvalId` when starting the operation. */
  id: string;
  /** The database entity. */
  entityRef: string;
  /** The operation to approve. */
  kind: RecoveryOperationKind;
  /** The backup to restore, when the requester chose one. */
  backupKey?: string;
  /** Where it would be restored. */
  target?: RestoreTarget;
  /** Why the restore is needed. */
  reason: string;
  /** The requester (user entity ref); never allowed to approve it. */
  requestedBy: string;
  /** Its state; a pending request expires at `expiresAt`. */
  state: ApprovalState;
  /** When it was requested (ISO-8601). */
  createdAt: string;
  /** When a pending request expires (ISO-8601). */
  expiresAt: string;
  /** Who decided, when and why. */
  decidedBy?: string;
  /** When it was decided (ISO-8601). */
  decidedAt?: string;
  /** The approver's comment. */
  comment?: string;
  /** The operation that used the approval (each approval is used once). */
  usedByOperation?: string;
}

/**
 * The body of `POST /approvals/:id/decision`.
 *
 * @public
 */
export interface ApprovalDecision {
  /** Approve or reject. */
  decision: 'approve' | 'reject';
  /** Why, shown to the requester and kept for the audit trail. */
  comment?: string;
}

/**
 * The answer to `GET .../operations`, newest first.
 *
 * @public
 */
export interface OperationList {
  /** The operations. */
  items: RecoveryOperation[];
}

/**
 * The answer to `GET .../approvals` (newest first) and `GET /approvals?state=pending` (oldest first).
 *
 * @public
 */
export interface ApprovalList {
  /** The approval requests. */
  items: ApprovalRequest[];
}

/**
 * The answer to `GET .../drills`, newest first.
 *
 * @public
 */
export interface DrillList {
  /** The drill records. */
  items: DrillRecordEntry[];
}

/**
 * A recorded drill, with its evidence.
 *
 * @public
 */
export interface DrillRecordEntry extends DrillFacts {
  /** Drill record id. */
  id: string;
  /** Who ran it. */
  recordedBy?: string;
  /** The backup restored. */
  backupKey?: string;
  /** The operation that ran it. */
  operationId?: string;
  /** The database's RTO objective at the time, in milliseconds. */
  rtoObjectiveMs?: number;
  /** The verification checks. */
  checks?: VerificationCheck[];
  /** The drill checklist with what was done. */
  checklist?: DrillChecklistItem[];
  /** Lessons learned. */
  notes?: string;
}
