/**
 * The catalog annotations that make a database entity visible to pg-backup. Only `namespace`,
 * `backup-cronjob` and `bucket` are required; the others have the defaults documented here.
 *
 * @public
 */
export const PG_BACKUP_ANNOTATIONS = {
  /** Cluster name from `kubernetes.clusterLocatorMethods`; default: the only configured cluster. */
  cluster: 'pg-backup.io/cluster',
  /** Kubernetes namespace holding the backup CronJobs and the app deployments (required). */
  namespace: 'pg-backup.io/namespace',
  /** Name of the daily full-backup CronJob (required). */
  backupCronJob: 'pg-backup.io/backup-cronjob',
  /** Name of the WAL checkpoint CronJob that provides the intermediate recovery points. */
  checkpointCronJob: 'pg-backup.io/checkpoint-cronjob',
  /** PostgreSQL database name inside the server; default: the entity name if valid. */
  database: 'pg-backup.io/database',
  /** S3 bucket holding the backups (required). */
  bucket: 'pg-backup.io/bucket',
  /** Key prefix of the full backups, ending with `/`; default: the bucket root. */
  prefix: 'pg-backup.io/prefix',
  /** Key prefix of the checkpoint dumps, ending with `/`. */
  checkpointPrefix: 'pg-backup.io/checkpoint-prefix',
  /** Recovery point objective, e.g. `6h`; default 24h. */
  rpo: 'pg-backup.io/rpo',
  /** Recovery time objective, e.g. `4h`; default 4h. */
  rto: 'pg-backup.io/rto',
  /** How long backups must be kept, e.g. `30d`; default 30d. */
  retention: 'pg-backup.io/retention',
  /** How often a recovery drill is due, e.g. `90d` (quarterly, the default). */
  drillInterval: 'pg-backup.io/drill-interval',
  /** Comma-separated Deployments that use the database and are scaled down for a restore. */
  deployments: 'pg-backup.io/deployments',
} as const;

/**
 * The key of {@link PG_BACKUP_ANNOTATIONS}.
 *
 * @public
 */
export type PgBackupAnnotation = keyof typeof PG_BACKUP_ANNOTATIONS;

/**
 * The annotation whose presence marks an entity as managed by pg-backup.
 *
 * @public
 */
export const PG_BACKUP_MARKER_ANNOTATION = PG_BACKUP_ANNOTATIONS.backupCronJob;
