import {
  HeadObjectCommand,
  ListObjectsV2Command,
  _Object,
} from '@aws-sdk/client-s3';
import {
  BackupObjectFacts,
  BackupRole,
  BackupTarget,
  formatBackupKey,
  parseBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { UpstreamError } from '../upstream';
import { BucketConfiguration, readBucketConfiguration } from './bucketSettings';
import {
  MANIFEST_SUFFIX,
  ManifestReader,
  ManifestSummary,
} from './ManifestReader';
import { S3Connection } from './S3Connection';
import { S3CallCounter, S3Requests } from './S3Requests';

const DAY_MS = 86_400_000;
const PAGE_KEYS = 1000;
/** Pages one listing may take (10 million keys) before it is deemed endless. */
const MAX_PAGES = 10_000;

/** A backup object found by listing, with whether its manifest exists. */
export interface ListedBackup extends BackupObjectFacts {
  /** Whether `<key>.manifest.json` exists. */
  complete: boolean;
  /** The listed ETag of `<key>.manifest.json` (internal: keys the trusted manifests). */
  manifestETag?: string;
  /** The listed size of `<key>.manifest.json` (internal: tells a body cut short from a bad manifest). */
  manifestSize?: number;
}

/**
 * Reads a database's backups and bucket settings from S3. Listing uses the keys' time order:
 * runbook-format keys (`<db>_YYYYMMDD_HHMMSS.dump`) sort by time, so the newest backups are found by
 * listing from `StartAfter` a key for a recent instant, widening the window only as needed. The
 * number of requests depends on the window asked for, not on the length of the history.
 */
export class BackupStorage {
  private readonly s3: S3Requests;
  private readonly manifests: ManifestReader;

  constructor(private readonly connection: S3Connection, timeoutMs: number) {
    this.s3 = new S3Requests(connection.client, timeoutMs);
    this.manifests = new ManifestReader(this.s3);
  }

  /** The S3 requests sent so far. */
  get counter(): S3CallCounter {
    return this.s3.counter;
  }

  /** The endpoint, for the plain-HTTP finding and the storage tab. */
  get endpoint(): string {
    return this.connection.endpoint;
  }

  /**
   * Lists keys under `prefix` that sort after `startAfter` and before `endBefore`, ascending.
   * Stops at `endBefore` without listing further.
   */
  private async listRange(
    bucket: string,
    prefix: string,
    startAfter: string | undefined,
    endBefore: string | undefined,
  ): Promise<_Object[]> {
    const objects: _Object[] = [];
    const seen = new Set<string>();
    const keys = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const page = await this.s3.send<{
        Contents?: _Object[];
        IsTruncated?: boolean;
        NextContinuationToken?: string;
      }>(
        `list s3://${bucket}/${prefix}`,
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          StartAfter: token ? undefined : startAfter,
          ContinuationToken: token,
          MaxKeys: PAGE_KEYS,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (endBefore !== undefined && object.Key! >= endBefore) return objects;
        // Pages of an inconsistent endpoint may repeat a key: it counts once.
        if (!keys.has(object.Key!)) objects.push(object);
        keys.add(object.Key!);
      }
      if (!page.IsTruncated || !page.NextContinuationToken) return objects;
      // A listing that hands back a token it gave before would never end: a broken or hostile
      // endpoint must not keep a health read (and the fleet refresh waiting on it) forever.
      if (seen.has(page.NextContinuationToken) || seen.size >= MAX_PAGES)
        throw new UpstreamError(
          `S3 list s3://${bucket}/${prefix} did not end: ${
            seen.size >= MAX_PAGES
              ? `more than ${MAX_PAGES} pages`
              : 'it returned a continuation token it had already returned'
          }`,
        );
      seen.add(page.NextContinuationToken);
      token = page.NextContinuationToken;
    }
  }

  /**
   * Lists a database's runbook-format keys backwards in time from `endKey` (exclusive) / `endMs`:
   * a window of `initialWindowMs`, doubled until `enough` dumps were found or the window reaches
   * `notBefore`. Each widening lists only the new, older part. Returns the keys ascending.
   */
  private async listBackwards(options: {
    target: BackupTarget;
    prefix: string;
    endKey: string | undefined;
    endMs: number;
    initialWindowMs: number;
    notBefore: Date;
    enough: (dumps: number) => boolean;
  }): Promise<_Object[]> {
    const { target, prefix, notBefore } = options;
    const found: _Object[] = [];
    let windowMs = options.initialWindowMs;
    let end = options.endKey;
    for (;;) {
      const startTime = new Date(
        Math.max(options.endMs - windowMs, notBefore.getTime()),
      );
      const start = formatBackupKey(prefix, target.database, startTime);
      found.unshift(
        ...(await this.listRange(
          target.storage.bucket,
          `${prefix}${target.database}_`,
          start,
          end,
        )),
      );
      const dumps = found.filter(o => o.Key!.endsWith('.dump')).length;
      if (options.enough(dumps) || startTime.getTime() <= notBefore.getTime())
        return found;
      end = start;
      windowMs *= 2;
    }
  }

  /**
   * The newest `wanted` backups of one role taken after `notBefore`, newest last. The window
   * starts at `initialWindowMs` before `now` and doubles until enough are found or it reaches
   * `notBefore`.
   */
  async listRecent(options: {
    target: BackupTarget;
    role: BackupRole;
    now: Date;
    wanted: number;
    initialWindowMs: number;
    notBefore: Date;
  }): Promise<ListedBackup[]> {
    const { target, role, now, wanted, notBefore } = options;
    const prefix =
      role === 'backup'
        ? target.storage.prefix
        : target.storage.checkpointPrefix ?? '';
    const found = await this.listBackwards({
      target,
      prefix,
      endKey: undefined,
      endMs: now.getTime(),
      initialWindowMs: options.initialWindowMs,
      notBefore,
      enough: dumps => dumps >= wanted,
    });
    let backups = toBackups(found, role);
    if (backups.length === 0) {
      // Keys that are not in the QAWave runbook's format do not sort by time: read the prefix once.
      const all = await this.listRange(
        target.storage.bucket,
        prefix,
        undefined,
        undefined,
      );
      backups = toBackups(all, role).sort((a, b) =>
        (a.takenAt ?? a.lastModified).localeCompare(
          b.takenAt ?? b.lastModified,
        ),
      );
    }
    return backups.slice(-wanted);
  }

  /**
   * The newest `backups` full backups and, where the database has a checkpoint prefix, the
   * newest `checkpoints` checkpoints, read side by side and looking back at most to the
   * retention period and two days before `now`: the full backups, then the checkpoints.
   */
  async listRecentBackupsAndCheckpoints(options: {
    target: BackupTarget;
    now: Date;
    backups: number;
    checkpoints: number;
  }): Promise<ListedBackup[]> {
    const { target, now } = options;
    const notBefore = new Date(
      now.getTime() - target.objectives.retentionMs - 2 * DAY_MS,
    );
    const reads: Promise<ListedBackup[]>[] = [
      this.listRecent({
        target,
        role: 'backup',
        now,
        wanted: options.backups,
        initialWindowMs: 9 * DAY_MS,
        notBefore,
      }),
    ];
    if (target.storage.checkpointPrefix)
      reads.push(
        this.listRecent({
          target,
          role: 'checkpoint',
          now,
          wanted: options.checkpoints,
          initialWindowMs: 2 * DAY_MS,
          notBefore,
        }),
      );
    return (await Promise.all(reads)).flat();
  }

  /**
   * One page of backups, newest first: keys strictly before `before` (a key), as many as
   * `limit`, looking back at most to `notBefore`.
   */
  async listPage(options: {
    target: BackupTarget;
    now: Date;
    before?: string;
    limit: number;
    notBefore: Date;
  }): Promise<{ items: ListedBackup[]; more: boolean }> {
    const { target, limit, notBefore } = options;
    const endTime = options.before
      ? parseBackupKey(options.before).takenAt
      : undefined;
    const found = await this.listBackwards({
      target,
      prefix: target.storage.prefix,
      endKey: options.before,
      endMs: endTime ? Date.parse(endTime) : options.now.getTime() + DAY_MS,
      initialWindowMs: 8 * DAY_MS,
      notBefore,
      enough: dumps => dumps > limit,
    });
    const backups = toBackups(found, 'backup').reverse();
    return { items: backups.slice(0, limit), more: backups.length > limit };
  }

  /** Whether an object exists (a HEAD request). */
  async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.s3.send(
        `head s3://${bucket}/${key}`,
        new HeadObjectCommand({ Bucket: bucket, Key: key }),
      );
      return true;
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return false;
      throw error;
    }
  }

  /** The manifest of one backup, or undefined when it has none or it is unreadable. */
  readManifest(
    bucket: string,
    key: string,
  ): Promise<ManifestSummary | undefined> {
    return this.manifests.read(bucket, key);
  }

  /**
   * The backups with the newest complete one of each role checked against its manifest (one GET
   * per role): a manifest that lies about the dump (size, key, checksum format) or cannot be
   * read makes that backup incomplete, with the reason, so it is never a recovery point.
   */
  checkNewestManifests(
    bucket: string,
    backups: ListedBackup[],
  ): Promise<ListedBackup[]> {
    return this.manifests.checkNewest(bucket, backups);
  }

  /** Lifecycle, default encryption, versioning and access logging of the bucket. */
  readBucketConfiguration(bucket: string): Promise<BucketConfiguration> {
    return readBucketConfiguration(this.s3, bucket);
  }

  /** Objects and bytes under the backup prefix within the last `windowMs`. */
  async usage(
    target: BackupTarget,
    now: Date,
    windowMs: number,
  ): Promise<{ objectCount: number; totalBytes: number }> {
    const start = formatBackupKey(
      target.storage.prefix,
      target.database,
      new Date(now.getTime() - windowMs),
    );
    const objects = await this.listRange(
      target.storage.bucket,
      `${target.storage.prefix}${target.database}_`,
      start,
      undefined,
    );
    return {
      objectCount: objects.length,
      totalBytes: objects.reduce((sum, o) => sum + (o.Size ?? 0), 0),
    };
  }
}

function toBackups(objects: _Object[], role: BackupRole): ListedBackup[] {
  const eTags = new Map(objects.map(o => [o.Key!, o.ETag]));
  const sizes = new Map(objects.map(o => [o.Key!, o.Size]));
  return objects
    .filter(o => o.Key!.endsWith('.dump'))
    .map(o => {
      const parsed = parseBackupKey(o.Key!);
      const manifestKey = `${o.Key}${MANIFEST_SUFFIX}`;
      const manifestETag = eTags.get(manifestKey);
      const manifestSize = sizes.get(manifestKey);
      const lastModified = (o.LastModified ?? new Date(0)).toISOString();
      return {
        key: o.Key!,
        role,
        size: o.Size ?? 0,
        lastModified,
        takenAt: parsed.takenAt ?? lastModified,
        complete: eTags.has(manifestKey),
        ...(manifestETag && { manifestETag }),
        ...(manifestSize !== undefined && { manifestSize }),
      };
    });
}
