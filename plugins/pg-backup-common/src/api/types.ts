import {
  BackupHealth,
  BackupRole,
  CronJobFacts,
  DrillFacts,
  Fact,
  HealthStatus,
  JobFacts,
  VerificationFacts,
} from '../health/types';

/**
 * Verification state of one backup, from the verification records.
 *
 * @public
 */
export type BackupVerificationState = 'passed' | 'failed' | 'unverified';

/**
 * One backup object as the backups tab shows it.
 *
 * @public
 */
export interface BackupEntry {
  /** Object key. */
  key: string;
  /** Full backup or checkpoint dump. */
  role: BackupRole;
  /** Size in bytes. */
  size: number;
  /** When the dump was taken (ISO-8601). */
  takenAt: string;
  /** The object's last-modified time (ISO-8601). */
  lastModified: string;
  /** Whether the manifest exists, i.e. the agent finished the backup. */
  complete: boolean;
  /** Hex SHA-256 from the manifest. */
  sha256?: string;
  /** Server-side encryption from the manifest (`AES256`, `aws:kms`, `none`). */
  encryption?: string;
  /** Tables in the dump, from the manifest. */
  tableCount?: number;
  /** Flyway version in the dump, from the manifest. */
  flywayVersion?: string | null;
  /** How long the backup took, from the manifest. */
  durationMs?: number;
  /** Whether a verify run passed for this backup. */
  verification: BackupVerificationState;
}

/**
 * One page of backups, newest first.
 *
 * @public
 */
export interface BackupPage {
  /** The backups on this page. */
  items: BackupEntry[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/**
 * Why a Job failed, classified from its exit code, termination message and log tail.
 *
 * @public
 */
export type JobFailureKind =
  | 's3-credentials'
  | 's3-access-denied'
  | 's3-bucket-missing'
  | 'disk-full'
  | 'network-unreachable'
  | 'database-in-use'
  | 'database-privileges'
  | 'out-of-memory'
  | 'deadline-exceeded'
  | 'unknown';

/**
 * A classified Job failure with what to do about it.
 *
 * @public
 */
export interface JobFailure {
  /** The class. */
  kind: JobFailureKind;
  /** What to do, in one or two sentences. */
  hint: string;
  /** The line or message the class was read from. */
  evidence?: string;
}

/**
 * A CronJob with its next run.
 *
 * @public
 */
export interface CronJobSummary extends CronJobFacts {
  /** Next scheduled run (ISO-8601), unless suspended or the schedule is invalid. */
  nextRun?: string;
}

/**
 * A Job of the database, newest first.
 *
 * @public
 */
export interface JobSummary extends JobFacts {
  /** Run time so far or in total, in milliseconds. */
  durationMs?: number;
  /** Created by hand (`cronjob.kubernetes.io/instantiate: manual`). */
  manual: boolean;
  /** The classified failure, when failed. */
  failure?: JobFailure;
  /** Pods of the Job (for logs). */
  pods: string[];
}

/**
 * The jobs tab: CronJobs and Job history.
 *
 * @public
 */
export interface JobsResponse {
  /** The database's CronJobs. */
  cronJobs: Fact<CronJobSummary[]>;
  /** Its Jobs, newest first. */
  jobs: Fact<JobSummary[]>;
}

/**
 * One lifecycle rule of the bucket.
 *
 * @public
 */
export interface LifecycleRuleSummary {
  /** Rule id. */
  id?: string;
  /** Prefix it applies to ('' for the whole bucket). */
  prefix: string;
  /** Whether it is enabled. */
  enabled: boolean;
  /** Days until expiry. */
  expirationDays?: number;
  /** Whether it covers the database's backup prefix. */
  coversBackups: boolean;
}

/**
 * Bucket settings and usage for a database's backups.
 *
 * @public
 */
export interface StoragePolicy {
  /** Bucket. */
  bucket: string;
  /** Full-backup prefix. */
  prefix: string;
  /** Lifecycle rules of the bucket. */
  lifecycleRules: LifecycleRuleSummary[];
  /** Expiry days of the rule covering the prefix. */
  expirationDays?: number;
  /** Default encryption algorithm. */
  defaultEncryption?: string;
  /** Versioning status. */
  versioning: 'Enabled' | 'Suspended' | 'Disabled';
  /** Whether S3 server access logging is on. */
  accessLogging: boolean;
  /** Objects (dumps and manifests) under the prefix within the retention window. */
  objectCount: number;
  /** Their total size in bytes. */
  totalBytes: number;
  /** The retention window counted, in days. */
  windowDays: number;
}

/**
 * Health of one database as the card shows it.
 *
 * @public
 */
export interface EntityHealthResponse {
  /** The entity. */
  entityRef: string;
  /** The evaluation. */
  health: BackupHealth;
  /** True when some facts could not be read (see the `fact-unavailable` findings). */
  partial: boolean;
  /** When the latest drill was performed (ISO-8601). */
  lastDrillTime?: string;
  /** The latest drill, with its measured recovery time. */
  lastDrill?: DrillFacts;
  /** The latest verification run. */
  lastVerification?: VerificationFacts;
}

/**
 * One database in the fleet view.
 *
 * @public
 */
export interface FleetEntry {
  /** The entity. */
  entityRef: string;
  /** Display title or name. */
  title: string;
  /** Owner ref. */
  owner?: string;
  /** System ref. */
  system?: string;
  /** Overall status. */
  status: HealthStatus;
  /** Reason for the status. */
  summary: string;
  /** Newest recovery point time (ISO-8601). */
  recoveryPointTime?: string;
  /** Whether the RPO is met. */
  rpoMet?: boolean;
  /** Codes of the findings, worst first. */
  findingCodes: string[];
  /** When the latest drill was performed (ISO-8601). */
  lastDrillTime?: string;
  /** The latest drill, with its measured recovery time. */
  lastDrill?: DrillFacts;
  /** Size in bytes of the newest recovery point's dump. */
  lastBackupSize?: number;
  /** The database's RPO, in milliseconds. */
  rpoMs?: number;
  /** The database's RTO objective, in milliseconds. */
  rtoMs?: number;
  /** When this snapshot was evaluated (ISO-8601). */
  evaluatedAt: string;
}

/**
 * The fleet view.
 *
 * @public
 */
export interface FleetResponse {
  /** Matching databases, worst first. */
  items: FleetEntry[];
  /** Counts per status over the matching databases. */
  counts: Record<HealthStatus, number>;
  /** When the newest snapshot was taken (ISO-8601), if any. */
  refreshedAt?: string;
}

/**
 * The result of "back up now".
 *
 * @public
 */
export interface TriggerBackupResponse {
  /** Namespace of the Job. */
  namespace: string;
  /** Name of the created Job. */
  job: string;
  /** The CronJob it was created from. */
  cronJob: string;
}

/**
 * The log tail of a Job's pod.
 *
 * @public
 */
export interface JobLog {
  /** The pod the log was read from. */
  pod: string;
  /** The log text (at most the requested tail). */
  text: string;
}
