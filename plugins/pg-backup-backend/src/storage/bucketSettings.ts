import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import {
  LifecycleRuleSummary,
  StoragePolicy,
  StoragePolicyFacts,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { S3Requests, absentAs } from './S3Requests';

/** A bucket's settings, as health and the storage tab read them. */
export interface BucketSettings {
  rules: LifecycleRuleSummary[];
  facts: StoragePolicyFacts;
  versioning: StoragePolicy['versioning'];
  accessLogging: boolean;
}

/**
 * A bucket's own settings, before they are read for one database's prefix: shared by every
 * database in the bucket.
 */
export interface BucketConfiguration {
  rules: Omit<LifecycleRuleSummary, 'coversBackups'>[];
  defaultEncryption?: string;
  versioning: StoragePolicy['versioning'];
  accessLogging: boolean;
}

/** Lifecycle, default encryption, versioning and access logging of a bucket: 4 requests. */
export async function readBucketConfiguration(
  s3: S3Requests,
  bucket: string,
): Promise<BucketConfiguration> {
  const [lifecycle, encryption, versioning, logging] = await Promise.all([
    s3
      .send<{ Rules?: any[] }>(
        `get lifecycle of ${bucket}`,
        new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }),
      )
      .catch(absentAs('NoSuchLifecycleConfiguration', { Rules: [] })),
    s3
      .send<{ ServerSideEncryptionConfiguration?: { Rules?: any[] } }>(
        `get encryption of ${bucket}`,
        new GetBucketEncryptionCommand({ Bucket: bucket }),
      )
      .catch(
        absentAs<{ ServerSideEncryptionConfiguration?: { Rules?: any[] } }>(
          'ServerSideEncryptionConfigurationNotFoundError',
          {},
        ),
      ),
    s3.send<{ Status?: string }>(
      `get versioning of ${bucket}`,
      new GetBucketVersioningCommand({ Bucket: bucket }),
    ),
    s3.send<{ LoggingEnabled?: unknown }>(
      `get logging of ${bucket}`,
      new GetBucketLoggingCommand({ Bucket: bucket }),
    ),
  ]);
  return {
    rules: (lifecycle.Rules ?? []).map(rule => ({
      id: rule.ID,
      prefix:
        rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? '',
      enabled: rule.Status === 'Enabled',
      expirationDays: rule.Expiration?.Days,
    })),
    defaultEncryption:
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    versioning:
      versioning.Status === 'Enabled' || versioning.Status === 'Suspended'
        ? versioning.Status
        : 'Disabled',
    accessLogging: Boolean(logging.LoggingEnabled),
  };
}

/** A bucket's settings as they apply to the backups under `prefix`. */
export function settingsForPrefix(
  configuration: BucketConfiguration,
  prefix: string,
): BucketSettings {
  const rules: LifecycleRuleSummary[] = configuration.rules.map(rule => ({
    ...rule,
    coversBackups: prefix.startsWith(rule.prefix),
  }));
  const covering = rules.filter(
    r => r.enabled && r.coversBackups && r.expirationDays !== undefined,
  );
  const expirationDays = covering.length
    ? Math.min(...covering.map(r => r.expirationDays!))
    : undefined;
  return {
    rules,
    facts: {
      expirationDays,
      defaultEncryption: configuration.defaultEncryption,
    },
    versioning: configuration.versioning,
    accessLogging: configuration.accessLogging,
  };
}
