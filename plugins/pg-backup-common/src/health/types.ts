import { BackupObjectives } from '../target/BackupTarget';

/**
 * A fact read from an upstream system: known with its value, or unknown with the reason (an
 * unreachable cluster, a 403 from S3, a timeout). Unknown facts can never produce `healthy`.
 *
 * @public
 */
export type Fact<T> =
  | { known: true; value: T }
  | { known: false; reason: string };

/**
 * Which CronJob of a target a fact is about.
 *
 * @public
 */
export type BackupRole = 'backup' | 'checkpoint';

/**
 * What the health rules need to know of one CronJob.
 *
 * @public
 */
export interface CronJobFacts {
  /** CronJob name. */
  name: string;
  /** Full backup or checkpoint. */
  role: BackupRole;
  /** `spec.schedule`. */
  schedule: string;
  /** `spec.timeZone`, if set. */
  timeZone?: string;
  /** `spec.suspend`. */
  suspend: boolean;
  /** `spec.startingDeadlineSeconds`, if set. */
  startingDeadlineSeconds?: number;
  /** `metadata.creationTimestamp` (ISO-8601). */
  createdAt?: string;
  /** `status.lastScheduleTime` (ISO-8601). */
  lastScheduleTime?: string;
  /** `status.lastSuccessfulTime` (ISO-8601). */
  lastSuccessfulTime?: string;
}

/**
 * State of a finished or running Job.
 *
 * @public
 */
export type JobState = 'running' | 'succeeded' | 'failed';

/**
 * What the health rules need to know of one Job.
 *
 * @public
 */
export interface JobFacts {
  /** Job name. */
  name: string;
  /** Name of the owning CronJob, if created by one (or from one). */
  cronJob?: string;
  /** Current state. */
  state: JobState;
  /** `status.startTime` (ISO-8601). */
  startTime?: string;
  /** `status.completionTime`, or the failure condition's time (ISO-8601). */
  finishedAt?: string;
  /** The failure condition's reason and message, if failed. */
  failureReason?: string;
}

/**
 * What the health rules need to know of one backup object in S3.
 *
 * @public
 */
export interface BackupObjectFacts {
  /** Object key. */
  key: string;
  /** Full backup or checkpoint dump. */
  role: BackupRole;
  /** Size in bytes. */
  size: number;
  /** Object's last-modified time (ISO-8601). */
  lastModified: string;
  /** When the dump was taken, from the key or manifest (ISO-8601); falls back to lastModified. */
  takenAt?: string;
  /**
   * Whether the backup is known complete (manifest present and consistent). `false` excludes
   * it from recovery points; `undefined` means the system writes no manifests.
   */
  complete?: boolean;
  /** Why the manifest cannot be trusted (wrong size, key or checksum format), when it cannot. */
  manifestProblem?: string;
}

/**
 * Bucket settings relevant to the backups' prefix.
 *
 * @public
 */
export interface StoragePolicyFacts {
  /** Days after which a lifecycle rule covering the prefix expires objects; undefined if none. */
  expirationDays?: number;
  /** Default encryption algorithm (`AES256`, `aws:kms`, ...); undefined if none. */
  defaultEncryption?: string;
}

/**
 * Security settings around the backups (the QAWave runbook's security considerations).
 *
 * @public
 */
export interface SecurityFacts {
  /** Whether S3 server access logging is enabled on the bucket. */
  accessLogging: boolean;
  /** The S3 endpoint the backups are read through. */
  endpoint: string;
  /** The backup credentials Secret and when it was created (ISO-8601), if it exists. */
  credentialsSecret?: { name: string; createdAt: string };
}

/**
 * The latest verification run of the target's backups.
 *
 * @public
 */
export interface VerificationFacts {
  /** Key of the backup that was verified. */
  backupKey: string;
  /** When the verification finished (ISO-8601). */
  verifiedAt: string;
  /** Whether every check passed. */
  passed: boolean;
  /** What failed, if it did not pass. */
  summary?: string;
}

/**
 * The latest recovery drill of the target.
 *
 * @public
 */
export interface DrillFacts {
  /** When the drill finished (ISO-8601). */
  performedAt: string;
  /** Whether the restored data verified. */
  passed: boolean;
  /** Measured recovery time from start to verified, in milliseconds. */
  measuredRtoMs?: number;
}

/**
 * Everything {@link evaluateBackupHealth} looks at.
 *
 * @public
 */
export interface BackupHealthInput {
  /** The database's objectives. */
  objectives: BackupObjectives;
  /** The target's CronJobs (backup and checkpoint); a missing annotated CronJob is absent here. */
  cronJobs: Fact<CronJobFacts[]>;
  /** Names of the CronJobs the target's annotations name, by role. */
  expectedCronJobs: { backup: string; checkpoint?: string };
  /** Recent Jobs of those CronJobs. */
  jobs: Fact<JobFacts[]>;
  /** Backup objects under the target's prefixes (at least the newest ones of each role). */
  backups: Fact<BackupObjectFacts[]>;
  /** Bucket lifecycle and encryption facts. */
  storagePolicy: Fact<StoragePolicyFacts>;
  /** The latest verification, or undefined if none was ever recorded. */
  latestVerification: Fact<VerificationFacts | undefined>;
  /** The latest drill, or undefined if none was ever recorded. */
  latestDrill: Fact<DrillFacts | undefined>;
  /** Access logging, endpoint and credential age; checks are skipped when absent. */
  security?: Fact<SecurityFacts>;
}

/**
 * Overall health, worst first: critical, then unknown, then warning, then healthy.
 *
 * @public
 */
export type HealthStatus = 'healthy' | 'warning' | 'critical' | 'unknown';

/**
 * How serious a finding is; `unknown` marks a fact that could not be read.
 *
 * @public
 */
export type FindingSeverity = 'info' | 'warning' | 'critical' | 'unknown';

/**
 * Codes of the findings {@link evaluateBackupHealth} can produce.
 *
 * @public
 */
export type HealthFindingCode =
  | 'fact-unavailable'
  | 'no-backups'
  | 'rpo-exceeded'
  | 'backup-missing'
  | 'backup-incomplete'
  | 'backup-too-small'
  | 'clock-skew'
  | 'cronjob-missing'
  | 'cronjob-suspended'
  | 'invalid-schedule'
  | 'missed-runs'
  | 'last-job-failed'
  | 'job-running'
  | 'retention-missing'
  | 'retention-mismatch'
  | 'encryption-missing'
  | 'access-logging-disabled'
  | 'plain-http-endpoint'
  | 'credentials-rotation-overdue'
  | 'backup-never-verified'
  | 'verification-failed'
  | 'latest-backup-unverified'
  | 'drill-never-run'
  | 'drill-overdue'
  | 'drill-failed'
  | 'drill-rto-exceeded';

/**
 * One observation about a database's backups.
 *
 * @public
 */
export interface HealthFinding {
  /** Stable code for programs (filters, alerts, tests). */
  code: HealthFindingCode;
  /** How serious it is. */
  severity: FindingSeverity;
  /** A sentence for people, with the figures that matter. */
  message: string;
  /** The fact group a `fact-unavailable` finding is about, or the CronJob/object concerned. */
  subject?: string;
}

/**
 * The newest point the database can be recovered to.
 *
 * @public
 */
export interface RecoveryPoint {
  /** When the dump was taken (ISO-8601). */
  time: string;
  /** Age at evaluation time, in milliseconds. */
  ageMs: number;
  /** Object key of the dump. */
  key: string;
  /** Full backup or checkpoint. */
  role: BackupRole;
  /** Size of the dump in bytes. */
  size: number;
}

/**
 * Whether one of the target's CronJobs will run, and when.
 *
 * @public
 */
export interface ScheduleState {
  /** Full backup or checkpoint. */
  role: BackupRole;
  /** The CronJob's name. */
  cronJob: string;
  /** `scheduled` with its next run; `suspended`, `missing` or `invalid` (unreadable schedule). */
  state: 'scheduled' | 'suspended' | 'missing' | 'invalid';
  /** The next run (ISO-8601), when scheduled. */
  nextRun?: string;
  /** The latest scheduled time at or before the evaluation, within a day (ISO-8601). */
  previousRun?: string;
}

/**
 * The result of {@link evaluateBackupHealth}.
 *
 * @public
 */
export interface BackupHealth {
  /** Overall status. */
  status: HealthStatus;
  /** A one-line reason for the status, from the worst finding. */
  summary: string;
  /** The newest recoverable point, if backups could be read and one exists. */
  recoveryPoint?: RecoveryPoint;
  /** Whether the recovery point is within the RPO; undefined when backups are unknown. */
  rpoMet?: boolean;
  /** Next scheduled run of any non-suspended CronJob (ISO-8601). */
  nextRun?: string;
  /** Each annotated CronJob's state, backup first; absent when the CronJobs could not be read. */
  schedules?: ScheduleState[];
  /** Scheduled runs that should have started but did not. */
  missedRuns: number;
  /** Every observation, worst first. */
  findings: HealthFinding[];
  /** When the evaluation was made (ISO-8601). */
  evaluatedAt: string;
}
