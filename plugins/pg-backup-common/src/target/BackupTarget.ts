import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { parseDuration } from '../durations';
import { shownValue } from '../shownValue';
import {
  CRONJOB_NAME_MAX_LENGTH,
  checkBucketName,
  checkClusterName,
  checkDatabaseName,
  checkDnsLabel,
  checkDnsSubdomain,
  checkKeyPrefix,
} from '../names';
import {
  PG_BACKUP_ANNOTATIONS,
  PG_BACKUP_MARKER_ANNOTATION,
} from './annotations';

/**
 * The recovery objectives of one database, in milliseconds.
 *
 * @public
 */
export interface BackupObjectives {
  /** Recovery point objective: the newest recoverable point may be at most this old. */
  rpoMs: number;
  /** Recovery time objective: a restore must finish within this time. */
  rtoMs: number;
  /** Backups must be kept at least this long (and, by the lifecycle rule, not much longer). */
  retentionMs: number;
  /** A recovery drill is due this often. */
  drillIntervalMs: number;
}

/**
 * Objectives used for annotations that are absent: RPO 24h, RTO 4h, 30 days, quarterly drills.
 *
 * @public
 */
export const DEFAULT_BACKUP_OBJECTIVES: BackupObjectives = {
  rpoMs: 24 * 3_600_000,
  rtoMs: 4 * 3_600_000,
  retentionMs: 30 * 86_400_000,
  drillIntervalMs: 90 * 86_400_000,
};

/**
 * Where the backups of one database are stored.
 *
 * @public
 */
export interface BackupStorageLocation {
  /** S3 bucket name. */
  bucket: string;
  /** Key prefix of full backups ('' or ending with '/'). */
  prefix: string;
  /** Key prefix of checkpoint dumps, when the database has a checkpoint job. */
  checkpointPrefix?: string;
}

/**
 * Everything pg-backup may touch for one database, read from its catalog entity.
 *
 * @public
 */
export interface BackupTarget {
  /** The entity's ref, e.g. `resource:default/qawave-postgresql`. */
  entityRef: string;
  /** Cluster name, or undefined for the only configured cluster. */
  cluster?: string;
  /** Kubernetes namespace of the CronJobs and deployments. */
  namespace: string;
  /** PostgreSQL database name. */
  database: string;
  /** Name of the full-backup CronJob. */
  backupCronJob: string;
  /** Name of the checkpoint CronJob, if any. */
  checkpointCronJob?: string;
  /** Where backups are stored. */
  storage: BackupStorageLocation;
  /** The database's recovery objectives. */
  objectives: BackupObjectives;
  /** Deployments that depend on the database. */
  deployments: string[];
}

/**
 * One problem with an entity's annotations.
 *
 * @public
 */
export interface BackupTargetProblem {
  /** The annotation at fault, e.g. `pg-backup.io/rpo`. */
  annotation: string;
  /** The offending value, if the annotation is present. */
  value?: string;
  /** What is wrong and what would be valid. */
  message: string;
}

/**
 * The outcome of {@link readBackupTarget}: a target, or every problem found.
 *
 * @public
 */
export type BackupTargetResult =
  | { ok: true; target: BackupTarget }
  | { ok: false; problems: BackupTargetProblem[] };

/**
 * True when the entity carries pg-backup annotations (valid or not), so its card applies.
 *
 * @public
 */
export function isPgBackupAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[PG_BACKUP_MARKER_ANNOTATION]);
}

/**
 * Turns an entity's annotations into a validated {@link BackupTarget}, or returns every problem
 * found, each naming the annotation, the offending value and what would be valid.
 *
 * @public
 */
export function readBackupTarget(
  entity: Entity,
  defaults: BackupObjectives = DEFAULT_BACKUP_OBJECTIVES,
): BackupTargetResult {
  const annotations = entity.metadata.annotations ?? {};
  const problems: BackupTargetProblem[] = [];

  const read = (
    annotation: string,
    required: boolean,
    check: (value: string) => string | undefined,
  ): string | undefined => {
    const raw = annotations[annotation];
    if (raw === undefined) {
      if (required)
        problems.push({
          annotation,
          message: `annotation ${annotation} is required`,
        });
      return undefined;
    }
    const value = raw.trim();
    const problem =
      value === '' ? `annotation ${annotation} is empty` : check(value);
    if (problem) {
      // The message alone is what HTTP errors and the fleet show, so it names the annotation.
      const message = problem.includes(annotation)
        ? problem
        : `${annotation}: ${problem}`;
      problems.push({ annotation, value: raw, message });
      return undefined;
    }
    return value;
  };

  const cronJobName = (value: string) =>
    checkDnsSubdomain(value, CRONJOB_NAME_MAX_LENGTH);
  const cluster = read(PG_BACKUP_ANNOTATIONS.cluster, false, checkClusterName);
  const namespace = read(PG_BACKUP_ANNOTATIONS.namespace, true, checkDnsLabel);
  const backupCronJob = read(
    PG_BACKUP_ANNOTATIONS.backupCronJob,
    true,
    cronJobName,
  );
  const checkpointCronJob = read(
    PG_BACKUP_ANNOTATIONS.checkpointCronJob,
    false,
    cronJobName,
  );
  const bucket = read(PG_BACKUP_ANNOTATIONS.bucket, true, checkBucketName);
  const prefix =
    read(PG_BACKUP_ANNOTATIONS.prefix, false, checkKeyPrefix) ?? '';
  const checkpointPrefix = read(
    PG_BACKUP_ANNOTATIONS.checkpointPrefix,
    false,
    checkKeyPrefix,
  );
  if (checkpointPrefix !== undefined && checkpointPrefix === prefix) {
    problems.push({
      annotation: PG_BACKUP_ANNOTATIONS.checkpointPrefix,
      value: checkpointPrefix,
      message: `checkpoint prefix "${checkpointPrefix}" must differ from the full-backup prefix, or the two kinds of dump cannot be told apart`,
    });
  }

  let database = read(PG_BACKUP_ANNOTATIONS.database, false, checkDatabaseName);
  if (
    database === undefined &&
    annotations[PG_BACKUP_ANNOTATIONS.database] === undefined
  ) {
    if (checkDatabaseName(entity.metadata.name) === undefined) {
      database = entity.metadata.name;
    } else {
      problems.push({
        annotation: PG_BACKUP_ANNOTATIONS.database,
        message: `annotation ${
          PG_BACKUP_ANNOTATIONS.database
        } is required because the entity name "${entity.metadata.name.slice(
          0,
          80,
        )}" is not a usable database name (1-63 letters, digits, '_' or '-', starting with a letter or '_')`,
      });
    }
  }

  const objective = (annotation: string, fallback: number): number => {
    let ms = fallback;
    read(annotation, false, value => {
      const parsed = parseDuration(value);
      if (typeof parsed === 'string') return `${annotation}: ${parsed}`;
      ms = parsed.ms;
      return undefined;
    });
    return ms;
  };
  const objectives: BackupObjectives = {
    rpoMs: objective(PG_BACKUP_ANNOTATIONS.rpo, defaults.rpoMs),
    rtoMs: objective(PG_BACKUP_ANNOTATIONS.rto, defaults.rtoMs),
    retentionMs: objective(
      PG_BACKUP_ANNOTATIONS.retention,
      defaults.retentionMs,
    ),
    drillIntervalMs: objective(
      PG_BACKUP_ANNOTATIONS.drillInterval,
      defaults.drillIntervalMs,
    ),
  };

  const deployments: string[] = [];
  read(PG_BACKUP_ANNOTATIONS.deployments, false, value => {
    const names = value.split(',').map(name => name.trim());
    const list = shownValue(value);
    const bad = names
      .map(name => [
        name,
        name === '' ? 'an empty name' : checkDnsSubdomain(name),
      ])
      .find(([, p]) => p);
    if (bad) {
      return `deployment list "${list}" contains ${bad[1]}; expected comma-separated Deployment names`;
    }
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate)
      return `deployment "${duplicate}" is listed twice in "${list}"`;
    deployments.push(...names);
    return undefined;
  });

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    target: {
      entityRef: stringifyEntityRef(entity),
      ...(cluster !== undefined && { cluster }),
      namespace: namespace!,
      database: database!,
      backupCronJob: backupCronJob!,
      ...(checkpointCronJob !== undefined && { checkpointCronJob }),
      storage: {
        bucket: bucket!,
        prefix,
        ...(checkpointPrefix !== undefined && { checkpointPrefix }),
      },
      objectives,
      deployments,
    },
  };
}

/**
 * Renders the problems of a failed {@link readBackupTarget} as one readable message.
 *
 * @public
 */
export function describeBackupTargetProblems(
  problems: BackupTargetProblem[],
): string {
  return problems.map(p => p.message).join('; ');
}
