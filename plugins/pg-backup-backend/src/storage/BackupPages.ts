import { InputError } from '@backstage/errors';
import {
  BackupEntry,
  BackupPage,
  BackupTarget,
  checkBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { BackupStorage, ListedBackup } from './BackupStorage';
import { ManifestSummary } from './ManifestReader';

const DAY_MS = 86_400_000;

/**
 * The Backups tab's list: pages of a database's backups, newest first, each with what its
 * manifest says (checksum, encryption, tables, Flyway version, duration) and whether a
 * verification of it passed.
 */
export class BackupPages {
  constructor(
    private readonly storage: BackupStorage,
    private readonly records: RecoveryRecordStore,
  ) {}

  /**
   * The page after `cursor` (the last key of the page before), at most `limit` entries, looking
   * back no further than the retention window plus a year. A cursor outside the database's
   * prefix is a 400.
   */
  async read(
    target: BackupTarget,
    page: { cursor?: string; limit: number; now: Date },
  ): Promise<BackupPage> {
    if (page.cursor !== undefined) {
      const problem = checkBackupKey(page.cursor, target.storage.prefix);
      if (problem) throw new InputError(`cursor: ${problem}`);
    }
    const listed = await this.storage.listPage({
      target,
      now: page.now,
      before: page.cursor,
      limit: page.limit,
      notBefore: new Date(
        page.now.getTime() - target.objectives.retentionMs - 366 * DAY_MS,
      ),
    });
    const [manifests, verified] = await Promise.all([
      Promise.all(
        listed.items.map(b =>
          b.complete
            ? this.storage.readManifest(target.storage.bucket, b.key)
            : undefined,
        ),
      ),
      this.records.verificationsOf(
        target.entityRef,
        listed.items.map(b => b.key),
      ),
    ]);
    const items = listed.items.map((b, i) =>
      toBackupEntry(b, manifests[i], verified.get(b.key)),
    );
    return {
      items,
      ...(listed.more &&
        items.length > 0 && { nextCursor: items[items.length - 1].key }),
    };
  }
}

function toBackupEntry(
  backup: ListedBackup,
  manifest: ManifestSummary | undefined,
  passed: boolean | undefined,
): BackupEntry {
  let verification: BackupEntry['verification'] = 'unverified';
  if (passed !== undefined) verification = passed ? 'passed' : 'failed';
  return {
    key: backup.key,
    role: backup.role,
    size: backup.size,
    takenAt: backup.takenAt ?? backup.lastModified,
    lastModified: backup.lastModified,
    complete: backup.complete,
    ...(manifest?.sha256 && { sha256: manifest.sha256 }),
    ...(manifest?.encryption && { encryption: manifest.encryption }),
    ...(manifest?.tableCount !== undefined && {
      tableCount: manifest.tableCount,
    }),
    ...(manifest?.flywayVersion !== undefined && {
      flywayVersion: manifest.flywayVersion,
    }),
    ...(manifest?.durationMs !== undefined && {
      durationMs: manifest.durationMs,
    }),
    verification,
  };
}
