import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalDecision,
  ApprovalRequest,
  BackupPage,
  DrillRecordEntry,
  EntityHealthResponse,
  FleetResponse,
  HealthStatus,
  JobLog,
  JobSummary,
  JobsResponse,
  StoragePolicy,
  TriggerBackupResponse,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/**
 * What the frontend asks of the pg-backup backend.
 *
 * @public
 */
export interface PgBackupApi {
  /** A database's backup health, by entity ref. */
  getHealth(entityRef: string): Promise<EntityHealthResponse>;
  /** Starts a backup now (a Job from the backup CronJob). */
  triggerBackup(entityRef: string): Promise<TriggerBackupResponse>;
  /** Backups newest first, a page at a time. */
  getBackups(
    entityRef: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<BackupPage>;
  /** The bucket's lifecycle, encryption, versioning and usage for the database. */
  getStoragePolicy(entityRef: string): Promise<StoragePolicy>;
  /** One Job of the database, to follow a triggered backup. */
  getJob(entityRef: string, job: string): Promise<JobSummary>;
  /** The database's CronJobs and Job history. */
  getJobs(entityRef: string): Promise<JobsResponse>;
  /** The log tail of a Job's pod (the newest pod unless one is named). */
  getJobLog(
    entityRef: string,
    job: string,
    options?: LogOptions,
  ): Promise<JobLog>;
  /**
   * Follows a Job's log: calls `onText` with each chunk until the log ends or `signal` aborts.
   * Resolves when the stream ends.
   */
  followJobLog(
    entityRef: string,
    job: string,
    options: LogOptions & {
      signal: AbortSignal;
      onText: (text: string) => void;
    },
  ): Promise<void>;
  /** Every annotated database the user may read, worst first. */
  getFleet(filter?: FleetFilter): Promise<FleetResponse>;
  /** The database's drill records, newest first. */
  getDrills(entityRef: string): Promise<DrillRecordEntry[]>;
  /** The database's approval requests, newest first. */
  getApprovals(entityRef: string): Promise<ApprovalRequest[]>;
  /** Pending requests across the fleet that the user may decide. */
  getPendingApprovals(): Promise<ApprovalRequest[]>;
  /** Approves or rejects somebody else's request. */
  decideApproval(
    id: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalRequest>;
}

/**
 * Which log to read.
 *
 * @public
 */
export interface LogOptions {
  /** A pod of the Job; the newest one when absent. */
  pod?: string;
  /** Lines from the end (1 to 5000). */
  tailLines?: number;
}

/**
 * Filters of the fleet view; each list matches any of its values.
 *
 * @public
 */
export interface FleetFilter {
  /** Owner refs, e.g. `group:default/platform-team`. */
  owner?: string[];
  /** System refs. */
  system?: string[];
  /** Statuses. */
  status?: HealthStatus[];
}

/**
 * The pg-backup API.
 *
 * @public
 */
export const pgBackupApiRef = createApiRef<PgBackupApi>({
  id: 'plugin.pg-backup.service',
});
