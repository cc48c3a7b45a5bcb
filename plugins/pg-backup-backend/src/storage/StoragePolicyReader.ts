import {
  BackupTarget,
  StoragePolicy,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { BackupFactsReader } from '../health/BackupFactsReader';
import { BackupStorage } from './BackupStorage';

const DAY_MS = 86_400_000;

/**
 * The Backups tab's storage policy: the bucket's lifecycle, encryption, versioning and access
 * logging, and the objects and bytes stored for the database within its retention window.
 */
export class StoragePolicyReader {
  constructor(
    private readonly facts: BackupFactsReader,
    private readonly storage: BackupStorage,
  ) {}

  async read(target: BackupTarget, now: Date): Promise<StoragePolicy> {
    const [settings, usage] = await Promise.all([
      this.facts.readBucketSettings(target, now),
      this.storage.usage(target, now, target.objectives.retentionMs),
    ]);
    return {
      bucket: target.storage.bucket,
      prefix: target.storage.prefix,
      lifecycleRules: settings.rules,
      ...(settings.facts.expirationDays !== undefined && {
        expirationDays: settings.facts.expirationDays,
      }),
      ...(settings.facts.defaultEncryption && {
        defaultEncryption: settings.facts.defaultEncryption,
      }),
      versioning: settings.versioning,
      accessLogging: settings.accessLogging,
      objectCount: usage.objectCount,
      totalBytes: usage.totalBytes,
      windowDays: Math.round(target.objectives.retentionMs / DAY_MS),
    };
  }
}
