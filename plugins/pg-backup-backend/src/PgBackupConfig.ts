import { durationToMilliseconds } from '@backstage/types';
import { Config, readDurationFromConfig } from '@backstage/config';
import { CustomErrorBase } from '@backstage/errors';
import {
  BackupObjectives,
  DEFAULT_BACKUP_OBJECTIVES,
  parseDuration,
} from '@pg-backup/backstage-plugin-pg-backup-common';

/** A pg-backup setting that cannot be used; the message names the key and what is valid. */
export class PgBackupConfigError extends CustomErrorBase {
  name = 'PgBackupConfigError' as const;
}

/** pg-backup's own settings, with defaults applied. */
export interface PgBackupConfig {
  /** Objectives for entities that set none. */
  defaultObjectives: BackupObjectives;
  /** Fleet refresh interval. */
  refreshIntervalMs: number;
  /** Delay before the first scheduled refresh after start. */
  refreshInitialDelayMs: number;
  /**
   * Longest one refresh holds the refresh task: a replica that stops in the middle of a refresh
   * keeps it this long, then the scheduler frees it for another replica.
   */
  refreshTimeoutMs: number;
  /** Databases evaluated at once during a refresh. */
  refreshConcurrency: number;
  /**
   * How often databases with a running Job, a scheduled run just due or a "Back up now" are
   * re-evaluated between fleet refreshes.
   */
  recheckIntervalMs: number;
  /** Per-entity health cache lifetime. */
  healthTtlMs: number;
  /** How long namespace-wide Kubernetes lists are shared between databases. */
  clusterListTtlMs: number;
  /** Bucket settings cache lifetime. */
  bucketSettingsTtlMs: number;
  /** Timeout of one upstream call. */
  upstreamTimeoutMs: number;
  /** Name of the S3 credentials Secret. */
  credentialsSecretName: string;
  /** Approval requests for restores. */
  approvals: {
    /** How long a request (and an unused approval) stays valid. */
    expiryMs: number;
    /** Whether every restore needs an approval, not only those over the live database. */
    requireForAllRestores: boolean;
  };
  /** The recovery engine. */
  recovery: RecoverySettings;
}

/** Settings of the recovery engine. */
export interface RecoverySettings {
  /** `ttlSecondsAfterFinished` of the restore, verify and cleanup Jobs. */
  jobTtlSeconds: number;
  /** How often a running operation reads its Job and cancellation state. */
  pollIntervalMs: number;
  /** A running operation renews its lease this long ahead; an expired lease means its backend died. */
  leaseTimeoutMs: number;
  /** Pods that must be running and ready before an emergency restore (the database server). */
  postgresPodSelector: string;
  /** How long scaled-down Deployments may take to stop their pods. */
  scaleDownTimeoutMs: number;
  /**
   * Service subjects (e.g. `plugin:scaffolder`) that may start an approved operation for the
   * approval's requester and follow operations; no other service may.
   */
  trustedServices: string[];
}

function duration(config: Config, key: string, fallbackMs: number): number {
  return config.has(key)
    ? durationToMilliseconds(readDurationFromConfig(config, { key }))
    : fallbackMs;
}

function objective(config: Config, key: string, fallbackMs: number): number {
  const value = config.getOptionalString(key);
  if (value === undefined) return fallbackMs;
  const parsed = parseDuration(value);
  if (typeof parsed === 'string')
    throw new PgBackupConfigError(`pgBackup.${key}: ${parsed}`);
  return parsed.ms;
}

/** Reads the `pgBackup` section; errors name the key and the bad value. */
export function readPgBackupConfig(root: Config): PgBackupConfig {
  return readSection(root.getOptionalConfig('pgBackup'));
}

function readSection(config: Config | undefined): PgBackupConfig {
  const d = DEFAULT_BACKUP_OBJECTIVES;
  const refreshIntervalMs = config
    ? duration(config, 'refreshInterval', 300_000)
    : 300_000;
  const concurrency = config?.getOptionalNumber('refreshConcurrency') ?? 64;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new PgBackupConfigError(
      `pgBackup.refreshConcurrency must be an integer from 1 to 256, got ${concurrency}`,
    );
  return {
    defaultObjectives: config
      ? {
          rpoMs: objective(config, 'defaultObjectives.rpo', d.rpoMs),
          rtoMs: objective(config, 'defaultObjectives.rto', d.rtoMs),
          retentionMs: objective(
            config,
            'defaultObjectives.retention',
            d.retentionMs,
          ),
          drillIntervalMs: objective(
            config,
            'defaultObjectives.drillInterval',
            d.drillIntervalMs,
          ),
        }
      : d,
    refreshIntervalMs,
    refreshInitialDelayMs: config
      ? duration(config, 'refreshInitialDelay', 5_000)
      : 5_000,
    refreshTimeoutMs: config
      ? duration(config, 'refreshTimeout', refreshIntervalMs)
      : refreshIntervalMs,
    refreshConcurrency: concurrency,
    recheckIntervalMs: config
      ? duration(config, 'recheckInterval', 30_000)
      : 30_000,
    healthTtlMs: config ? duration(config, 'cache.healthTtl', 30_000) : 30_000,
    clusterListTtlMs: config
      ? duration(config, 'cache.clusterListTtl', 5_000)
      : 5_000,
    bucketSettingsTtlMs: config
      ? duration(config, 'cache.bucketSettingsTtl', 300_000)
      : 300_000,
    upstreamTimeoutMs: config
      ? duration(config, 'upstreamTimeout', 10_000)
      : 10_000,
    credentialsSecretName:
      config?.getOptionalString('credentialsSecretName') ??
      'backup-s3-credentials',
    approvals: {
      expiryMs: config
        ? duration(config, 'approvals.expiry', 4 * 3_600_000)
        : 4 * 3_600_000,
      requireForAllRestores:
        config?.getOptionalBoolean('approvals.requireForAllRestores') ?? false,
    },
    recovery: readRecovery(config),
  };
}

function readRecovery(config: Config | undefined): RecoverySettings {
  const ms = (key: string, fallback: number) =>
    config ? duration(config, `recovery.${key}`, fallback) : fallback;
  const selector =
    config?.getOptionalString('recovery.postgresPodSelector') ??
    'app.kubernetes.io/name=postgresql';
  if (!/^[A-Za-z0-9./_=!,() -]+$/.test(selector) || selector.trim() === '')
    throw new PgBackupConfigError(
      `pgBackup.recovery.postgresPodSelector "${selector}" is not a label selector such as app.kubernetes.io/name=postgresql`,
    );
  const trustedServices = config?.getOptionalStringArray(
    'recovery.trustedServices',
  ) ?? ['plugin:scaffolder'];
  for (const subject of trustedServices)
    if (!/^[a-z][a-z0-9-]*:\S+$/.test(subject))
      throw new PgBackupConfigError(
        `pgBackup.recovery.trustedServices: "${subject}" is not a service subject such as plugin:scaffolder`,
      );
  return {
    jobTtlSeconds: Math.round(ms('jobTtl', 86_400_000) / 1000),
    pollIntervalMs: ms('pollInterval', 500),
    leaseTimeoutMs: ms('leaseTimeout', 60_000),
    postgresPodSelector: selector,
    scaleDownTimeoutMs: ms('scaleDownTimeout', 300_000),
    trustedServices,
  };
}
