import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  _Object,
} from '@aws-sdk/client-s3';
import {
  BackupObjectFacts,
  BackupRole,
  BackupTarget,
  LifecycleRuleSummary,
  StoragePolicy,
  StoragePolicyFacts,
  formatBackupKey,
  parseBackupKey,
} from '@pg-backup/backstage-plugin-pg-backup-common';
import { UpstreamError, reasonOf, withTimeout } from '../upstream';
import { MissingS3CredentialsError, S3Connection } from './S3Connection';
import {
  MAX_MANIFEST_BYTES,
  ManifestSubject,
  checkManifest,
} from './checkManifest';

const DAY_MS = 86_400_000;
const MANIFEST_SUFFIX = '.manifest.json';
const PAGE_KEYS = 1000;
/** Pages one listing may take (10 million keys) before it is deemed endless. */
const MAX_PAGES = 10_000;
/**
 * Manifests remembered as trustworthy (two per database, backup and checkpoint, for 10,000
 * databases): a few hundred bytes each.
 */
export const MAX_TRUSTED_MANIFESTS = 20_000;

/** A backup object found by listing, with whether its manifest exists. */
export interface ListedBackup extends BackupObjectFacts {
  /** Whether `<key>.manifest.json` exists. */
  complete: boolean;
  /** The listed ETag of `<key>.manifest.json` (internal: keys the trusted manifests). */
  manifestETag?: string;
}

/** What the manifest says of a backup (the fields pg-backup shows). */
export interface ManifestSummary {
  sha256?: string;
  encryption?: string;
  tableCount?: number;
  flywayVersion?: string | null;
  durationMs?: number;
  startedAt?: string;
}

/** Counts S3 requests, so tests and the benchmark can state the calls per refresh. */
export interface S3CallCounter {
  /** Requests sent so far. */
  calls: number;
}

/**
 * Reads a database's backups and bucket settings from S3. Listing uses the keys' time order:
 * runbook-format keys (`<db>_YYYYMMDD_HHMMSS.dump`) sort by time, so the newest backups are found by
 * listing from `StartAfter` a key for a recent instant, widening the window only as needed. The
 * number of requests depends on the window asked for, not on the length of the history.
 */
export class BackupStorage {
  readonly counter: S3CallCounter = { calls: 0 };
  private readonly client: S3Client;
  /**
   * The manifests found to describe their dump, by bucket, manifest key, the manifest's ETag and
   * the dump's size. The agent writes a manifest once; a manifest that is replaced gets a new
   * ETag in the listing and is read again. So a refresh reads only the manifests that are new
   * since the last one (usually none) instead of one per role and database. A manifest found
   * wanting is not remembered: it is read again on every refresh, so a body cut short by the
   * network costs one refresh, not a day.
   */
  private readonly trusted = new Set<string>();

  constructor(
    private readonly connection: S3Connection,
    private readonly timeoutMs: number,
  ) {
    this.client = connection.client;
  }

  /** The endpoint, for the plain-HTTP finding and the storage tab. */
  get endpoint(): string {
    return this.connection.endpoint;
  }

  private async send<T>(what: string, command: any): Promise<T> {
    this.counter.calls++;
    // A call that outlived its timeout is aborted, not left holding one of the client's
    // sockets: an endpoint that never answers would otherwise use up the connection pool, and
    // every later call would time out long after the endpoint recovered.
    const abort = new AbortController();
    try {
      return await withTimeout(
        `S3 ${what}`,
        this.timeoutMs,
        this.client.send(command, { abortSignal: abort.signal }) as Promise<T>,
      );
    } catch (error) {
      abort.abort();
      throw describeS3Error(what, error);
    }
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
      const page = await this.send<{
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
      await this.send(
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
  async readManifest(
    bucket: string,
    key: string,
  ): Promise<ManifestSummary | undefined> {
    try {
      const object = await this.send<{
        Body?: { transformToString(): Promise<string> };
      }>(
        `get s3://${bucket}/${key}${MANIFEST_SUFFIX}`,
        new GetObjectCommand({
          Bucket: bucket,
          Key: `${key}${MANIFEST_SUFFIX}`,
        }),
      );
      const text = await this.readText(
        `get s3://${bucket}/${key}${MANIFEST_SUFFIX}`,
        object,
      );
      if (text.length > 1_000_000) return undefined;
      const data = JSON.parse(text);
      return {
        sha256: typeof data.sha256 === 'string' ? data.sha256 : undefined,
        encryption:
          typeof data.encryption?.serverSide === 'string'
            ? data.encryption.serverSide
            : undefined,
        tableCount: Number.isSafeInteger(data.tableCount)
          ? data.tableCount
          : undefined,
        flywayVersion:
          typeof data.flywayVersion === 'string' || data.flywayVersion === null
            ? data.flywayVersion
            : undefined,
        durationMs: Number.isSafeInteger(data.durationMs)
          ? data.durationMs
          : undefined,
        startedAt:
          typeof data.startedAt === 'string' ? data.startedAt : undefined,
      };
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404)
        return undefined;
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  /**
   * The backups with the newest complete one of each role checked against its manifest (one GET
   * per role): a manifest that lies about the dump (size, key, checksum format) or cannot be
   * read makes that backup incomplete, with the reason, so it is never a recovery point.
   */
  async checkNewestManifests(
    bucket: string,
    backups: ListedBackup[],
  ): Promise<ListedBackup[]> {
    const time = (b: ListedBackup) => b.takenAt ?? b.lastModified;
    const newestOf = (role: BackupRole) =>
      backups
        .filter(b => b.role === role && b.complete)
        .reduce<ListedBackup | undefined>(
          (newest, b) => (!newest || time(b) > time(newest) ? b : newest),
          undefined,
        );
    const checked = (['backup', 'checkpoint'] as const)
      .map(newestOf)
      .filter((b): b is ListedBackup => b !== undefined);
    const problems = new Map<ListedBackup, string | undefined>();
    await Promise.all(
      checked.map(async b =>
        problems.set(b, await this.manifestProblem(bucket, b)),
      ),
    );
    return backups.map(b => {
      const problem = problems.get(b);
      return problem ? { ...b, complete: false, manifestProblem: problem } : b;
    });
  }

  /** Why a dump's manifest cannot be trusted, or undefined when it describes the dump. */
  private async manifestProblem(
    bucket: string,
    backup: ManifestSubject & { manifestETag?: string },
  ): Promise<string | undefined> {
    const manifestKey = `${backup.key}${MANIFEST_SUFFIX}`;
    const trustKey = (eTag: string) =>
      JSON.stringify([bucket, manifestKey, eTag, backup.size]);
    if (backup.manifestETag) {
      const known = trustKey(backup.manifestETag);
      if (this.trusted.has(known)) {
        // used again: moves to the back of the eviction order
        this.trusted.delete(known);
        this.trusted.add(known);
        return undefined;
      }
    }
    let object: {
      ContentLength?: number;
      ETag?: string;
      Body?: { transformToString(): Promise<string> };
    };
    try {
      object = await this.send(
        `get s3://${bucket}/${manifestKey}`,
        new GetObjectCommand({ Bucket: bucket, Key: manifestKey }),
      );
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404)
        return `manifest ${manifestKey} does not exist`;
      throw error;
    }
    if ((object.ContentLength ?? 0) > MAX_MANIFEST_BYTES) {
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return `manifest ${manifestKey} is larger than ${MAX_MANIFEST_BYTES} bytes`;
    }
    const problem = checkManifest(
      await this.readText(`get s3://${bucket}/${manifestKey}`, object),
      backup,
    );
    // Remembered under the ETag of the bytes that were read (which may be newer than the listing's).
    if (!problem && object.ETag) {
      this.trusted.add(trustKey(object.ETag));
      if (this.trusted.size > MAX_TRUSTED_MANIFESTS)
        this.trusted.delete(this.trusted.values().next().value!);
    }
    return problem;
  }

  /**
   * An object's body as text, within the call timeout. The body arrives after the answer's
   * headers, so it fails on its own (a connection cut, a checksum mismatch): the error names
   * the object, like every S3 failure.
   */
  private async readText(
    what: string,
    object: { Body?: { transformToString(): Promise<string> } },
  ): Promise<string> {
    try {
      return await withTimeout(
        `S3 ${what}`,
        this.timeoutMs,
        object.Body?.transformToString() ?? Promise.resolve(''),
      );
    } catch (error) {
      // The body's socket is given back, not left open behind a timed-out read.
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      if (error instanceof UpstreamError) throw error;
      throw new UpstreamError(
        `S3 ${what} failed while reading the object: ${reasonOf(error)}`,
      );
    }
  }

  /** Lifecycle, default encryption, versioning and access logging of the bucket. */
  async readBucketSettings(target: BackupTarget): Promise<{
    rules: LifecycleRuleSummary[];
    facts: StoragePolicyFacts;
    versioning: StoragePolicy['versioning'];
    accessLogging: boolean;
  }> {
    const bucket = target.storage.bucket;
    const [lifecycle, encryption, versioning, logging] = await Promise.all([
      this.send<{ Rules?: any[] }>(
        `get lifecycle of ${bucket}`,
        new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }),
      ).catch(absentAs('NoSuchLifecycleConfiguration', { Rules: [] })),
      this.send<{ ServerSideEncryptionConfiguration?: { Rules?: any[] } }>(
        `get encryption of ${bucket}`,
        new GetBucketEncryptionCommand({ Bucket: bucket }),
      ).catch(
        absentAs<{ ServerSideEncryptionConfiguration?: { Rules?: any[] } }>(
          'ServerSideEncryptionConfigurationNotFoundError',
          {},
        ),
      ),
      this.send<{ Status?: string }>(
        `get versioning of ${bucket}`,
        new GetBucketVersioningCommand({ Bucket: bucket }),
      ),
      this.send<{ LoggingEnabled?: unknown }>(
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
  return objects
    .filter(o => o.Key!.endsWith('.dump'))
    .map(o => {
      const parsed = parseBackupKey(o.Key!);
      const manifestKey = `${o.Key}${MANIFEST_SUFFIX}`;
      const manifestETag = eTags.get(manifestKey);
      const lastModified = (o.LastModified ?? new Date(0)).toISOString();
      return {
        key: o.Key!,
        role,
        size: o.Size ?? 0,
        lastModified,
        takenAt: parsed.takenAt ?? lastModified,
        complete: eTags.has(manifestKey),
        ...(manifestETag && { manifestETag }),
      };
    });
}

function absentAs<T>(code: string, value: T) {
  return (error: unknown): T => {
    if (error instanceof UpstreamError && error.message.includes(code))
      return value;
    throw error;
  };
}

function describeS3Error(what: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (error instanceof MissingS3CredentialsError)
    return new UpstreamError(`S3 ${what} failed: ${error.message}`);
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode;
  if (status) {
    const hint =
      status === 403
        ? ' (access denied: check the portal credentials and the bucket policy)'
        : '';
    return new UpstreamError(
      `S3 ${what} failed with HTTP ${status} ${e.name ?? ''}${hint}`.trim(),
      status,
    );
  }
  return new UpstreamError(
    `S3 unreachable: ${what} failed (${e.code ?? e.name ?? reasonOf(error)})`,
  );
}
