import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import {
  BackupTarget,
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

/** Lifecycle, default encryption, versioning and access logging of the target's bucket. */
export async function readBucketSettings(
  s3: S3Requests,
  target: BackupTarget,
): Promise<BucketSettings> {
  const bucket = target.storage.bucket;
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
  const rules: LifecycleRuleSummary[] = (lifecycle.Rules ?? []).map(rule => {
    const prefix: string =
      rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? rule.Prefix ?? '';
    return {
      id: rule.ID,
      prefix,
      enabled: rule.Status === 'Enabled',
      expirationDays: rule.Expiration?.Days,
      coversBackups: target.storage.prefix.startsWith(prefix),
    };
  });
  const covering = rules.filter(
    r => r.enabled && r.coversBackups && r.expirationDays !== undefined,
  );
  const expirationDays = covering.length
    ? Math.min(...covering.map(r => r.expirationDays!))
    : undefined;
  const sse =
    encryption.ServerSideEncryptionConfiguration?.Rules?.[0]
      ?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  const versioningStatus: StoragePolicy['versioning'] =
    versioning.Status === 'Enabled' || versioning.Status === 'Suspended'
      ? versioning.Status
      : 'Disabled';
  return {
    rules,
    facts: { expirationDays, defaultEncryption: sse },
    versioning: versioningStatus,
    accessLogging: Boolean(logging.LoggingEnabled),
  };
}
