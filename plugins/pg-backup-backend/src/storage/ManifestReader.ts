import { GetObjectCommand } from '@aws-sdk/client-s3';
import { BackupRole } from '@pg-backup/backstage-plugin-pg-backup-common';
import { UpstreamError } from '../upstream';
import {
  MAX_MANIFEST_BYTES,
  ManifestSubject,
  checkManifest,
} from './checkManifest';
import { S3Body, S3Requests } from './S3Requests';

/** The suffix of a dump's manifest: `<key>.manifest.json`. */
export const MANIFEST_SUFFIX = '.manifest.json';

/**
 * Manifests remembered as trustworthy (two per database, backup and checkpoint, for 10,000
 * databases): a few hundred bytes each.
 */
export const MAX_TRUSTED_MANIFESTS = 20_000;

/** What the manifest says of a backup (the fields pg-backup shows). */
export interface ManifestSummary {
  sha256?: string;
  encryption?: string;
  tableCount?: number;
  flywayVersion?: string | null;
  durationMs?: number;
  startedAt?: string;
}

/** A listed dump whose manifest can be checked. */
export interface ManifestChecked extends ManifestSubject {
  role: BackupRole;
  complete: boolean;
  lastModified: string;
  takenAt?: string;
  /** The listed ETag of `<key>.manifest.json`. */
  manifestETag?: string;
  /** The listed size of `<key>.manifest.json`. */
  manifestSize?: number;
  manifestProblem?: string;
}

/**
 * Reads the agent's manifests: what one says of its dump, and whether the newest dumps'
 * manifests describe them.
 */
export class ManifestReader {
  /**
   * The manifests found to describe their dump, by bucket, manifest key, the manifest's ETag and
   * the dump's size. The agent writes a manifest once; a manifest that is replaced gets a new
   * ETag in the listing and is read again. So a refresh reads only the manifests that are new
   * since the last one (usually none) instead of one per role and database. A manifest found
   * wanting is not remembered: it is read again on every refresh, so a body cut short by the
   * network costs one refresh, not a day.
   */
  private readonly trusted = new Set<string>();

  constructor(private readonly s3: S3Requests) {}

  /** The manifest of one backup, or undefined when it has none or it is unreadable. */
  async read(
    bucket: string,
    key: string,
  ): Promise<ManifestSummary | undefined> {
    const what = `get s3://${bucket}/${key}${MANIFEST_SUFFIX}`;
    try {
      const object = await this.s3.send<{ Body?: S3Body }>(
        what,
        new GetObjectCommand({
          Bucket: bucket,
          Key: `${key}${MANIFEST_SUFFIX}`,
        }),
      );
      const text = await this.s3.readText(what, object);
      if (text.length > 1_000_000) return undefined;
      return summarize(JSON.parse(text));
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
  async checkNewest<T extends ManifestChecked>(
    bucket: string,
    backups: T[],
  ): Promise<T[]> {
    const time = (b: T) => b.takenAt ?? b.lastModified;
    const newestOf = (role: BackupRole) =>
      backups
        .filter(b => b.role === role && b.complete)
        .reduce<T | undefined>(
          (newest, b) => (!newest || time(b) > time(newest) ? b : newest),
          undefined,
        );
    const checked = (['backup', 'checkpoint'] as const)
      .map(newestOf)
      .filter((b): b is T => b !== undefined);
    const problems = new Map<T, string | undefined>();
    await Promise.all(
      checked.map(async b => problems.set(b, await this.problemOf(bucket, b))),
    );
    return backups.map(b => {
      const problem = problems.get(b);
      return problem ? { ...b, complete: false, manifestProblem: problem } : b;
    });
  }

  /** Why a dump's manifest cannot be trusted, or undefined when it describes the dump. */
  private async problemOf(
    bucket: string,
    backup: ManifestSubject & { manifestETag?: string; manifestSize?: number },
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
    let object: { ContentLength?: number; ETag?: string; Body?: S3Body };
    try {
      object = await this.s3.send(
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
    const what = `get s3://${bucket}/${manifestKey}`;
    const text = await this.s3.readText(what, object);
    const bytes = Buffer.byteLength(text);
    // The object that was listed, read shorter than listed: the network cut it short, which
    // says nothing of the manifest, so the fact is unavailable rather than the backup incomplete.
    if (
      object.ETag !== undefined &&
      object.ETag === backup.manifestETag &&
      backup.manifestSize !== undefined &&
      bytes !== backup.manifestSize
    )
      throw new UpstreamError(
        `S3 ${what} returned ${bytes} of the ${backup.manifestSize} bytes listed`,
      );
    const problem = checkManifest(text, backup);
    // Remembered under the ETag of the bytes that were read (which may be newer than the listing's).
    if (!problem && object.ETag) {
      this.trusted.add(trustKey(object.ETag));
      if (this.trusted.size > MAX_TRUSTED_MANIFESTS)
        this.trusted.delete(this.trusted.values().next().value!);
    }
    return problem;
  }
}

/** The fields pg-backup shows, each only when the manifest has it in the expected type. */
function summarize(data: any): ManifestSummary {
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
    startedAt: typeof data.startedAt === 'string' ? data.startedAt : undefined,
  };
}
