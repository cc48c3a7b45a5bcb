import { InputError } from '@backstage/errors';
import {
  BackupTarget,
  checkBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { RecoveryRecordStore } from '../database/RecoveryRecordStore';
import { BackupStorage } from '../storage/BackupStorage';

/** A backup chosen for a restore, with the prefix its key is relative to. */
export interface SelectedBackup {
  key: string;
  /** The full-backup or checkpoint prefix the key is under (the Job's S3_PREFIX). */
  prefix: string;
  /**
   * The dump has no manifest (made outside pg-backup) and is verified to adopt it: the verify
   * writes its manifest from the restored copy.
   */
  adopt?: boolean;
}

/**
 * Chooses the backup a restore uses. Only complete backups (the dump and its manifest) are ever
 * restored; the default is the newest complete backup that passed a verification, else the
 * newest complete one, full backups and checkpoints alike.
 */
export class BackupSelector {
  constructor(
    private readonly storage: BackupStorage,
    private readonly records: RecoveryRecordStore,
  ) {}

  /**
   * The requested backup after checking it is complete, or the default one. With `adopting` (a
   * verify), a requested dump without a manifest is accepted, to be adopted.
   */
  async select(
    target: BackupTarget,
    requestedKey: string | undefined,
    now: Date,
    { adopting = false }: { adopting?: boolean } = {},
  ): Promise<SelectedBackup> {
    return requestedKey === undefined
      ? this.newest(target, now)
      : this.checked(target, requestedKey, adopting);
  }

  private async checked(
    target: BackupTarget,
    key: string,
    adopting: boolean,
  ): Promise<SelectedBackup> {
    const { bucket, prefix, checkpointPrefix } = target.storage;
    const prefixes = [prefix, checkpointPrefix]
      .filter((p): p is string => p !== undefined)
      // the longest prefix first: a checkpoint prefix may lie under the full-backup prefix
      .sort((a, b) => b.length - a.length);
    const under = prefixes.find(p => !checkBackupKey(key, p));
    if (under === undefined)
      throw new InputError(
        `backupKey: ${checkBackupKey(key, prefix)}${
          checkpointPrefix
            ? ` (nor under the checkpoint prefix "${checkpointPrefix}")`
            : ''
        }`,
      );
    if (!key.endsWith('.dump'))
      throw new InputError(
        `backupKey "${key}" is not a dump: backups are the keys ending in .dump`,
      );
    if (!(await this.storage.exists(bucket, key)))
      throw new InputError(
        `backup ${key} does not exist in s3://${bucket}/${under}`,
      );
    if (!(await this.storage.readManifest(bucket, key))) {
      if (adopting) return { key, prefix: under, adopt: true };
      throw new InputError(
        `backup ${key} has no manifest (${key}.manifest.json): it was interrupted or made outside pg-backup, so nothing proves the dump is whole; verify it first to adopt it, or choose a backup with a manifest`,
      );
    }
    return { key, prefix: under };
  }

  private async newest(
    target: BackupTarget,
    now: Date,
  ): Promise<SelectedBackup> {
    const complete = (
      await this.storage.listRecentBackupsAndCheckpoints({
        target,
        now,
        backups: 30,
        checkpoints: 8,
      })
    )
      .filter(b => b.complete)
      .sort((a, b) =>
        (b.takenAt ?? b.lastModified).localeCompare(
          a.takenAt ?? a.lastModified,
        ),
      );
    if (complete.length === 0)
      throw new InputError(
        `there is no complete backup of ${target.database} in s3://${target.storage.bucket}/${target.storage.prefix} to restore`,
      );
    const verified = await this.records.verificationsOf(
      target.entityRef,
      complete.map(b => b.key),
    );
    const chosen =
      complete.find(b => verified.get(b.key) === true) ?? complete[0];
    return {
      key: chosen.key,
      prefix:
        chosen.role === 'checkpoint'
          ? target.storage.checkpointPrefix!
          : target.storage.prefix,
    };
  }
}
