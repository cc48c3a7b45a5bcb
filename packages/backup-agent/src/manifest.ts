import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { shownValue } from '@pg-backup/backstage-plugin-pg-backup-common';
import { refused } from './AgentError';
import type { S3Config, ServerSideEncryptionMode } from './config';
import { describeS3Error, isNotFound } from './s3Access';

/**
 * What the agent writes beside each dump as `<key>.manifest.json`, last: a dump without its
 * manifest is not a complete backup.
 */
export interface BackupManifest {
  formatVersion: 1;
  /** `backup` (daily) or `checkpoint` (every few hours). */
  kind: 'backup' | 'checkpoint';
  database: string;
  serverVersion: string;
  /** The dump's object key. */
  key: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  sizeBytes: number;
  /** Hex SHA-256 of the dump object's bytes. */
  sha256: string;
  encryption: { serverSide: ServerSideEncryptionMode; kmsKeyId?: string };
  tableCount: number;
  /** Exact row counts in the dump's snapshot, keyed `schema.table`. */
  rowCounts: Record<string, number>;
  flywayVersion: string | null;
  /** The exported snapshot pg_dump used. */
  snapshot: string;
  /** LSN of the WAL switch before a checkpoint dump, when it was allowed. */
  walSwitchLsn?: string;
}

/** The manifest's key for a dump key. */
export function manifestKeyFor(key: string): string {
  return `${key}.manifest.json`;
}

/** Parses and checks a manifest read from `manifestKey`; anything unexpected is a refusal. */
export function parseManifest(text: string, key: string): BackupManifest {
  const manifestKey = manifestKeyFor(key);
  let data: Partial<BackupManifest>;
  try {
    data = JSON.parse(text);
  } catch {
    throw refused(`manifest ${manifestKey} is not valid JSON`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw refused(`manifest ${manifestKey} is not a JSON object`);
  }
  const problems: string[] = [];
  if (data.formatVersion !== 1) {
    problems.push(
      `formatVersion ${String(JSON.stringify(data.formatVersion)).slice(
        0,
        40,
      )} (expected 1)`,
    );
  }
  if (data.key !== key) {
    problems.push(
      `key "${shownValue(String(data.key), 120)}" (expected "${key}")`,
    );
  }
  if (typeof data.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(data.sha256)) {
    problems.push('sha256 is not 64 hex digits');
  }
  if (!Number.isSafeInteger(data.sizeBytes) || (data.sizeBytes as number) < 0) {
    problems.push('sizeBytes is not a byte count');
  }
  if (typeof data.database !== 'string') problems.push('database is missing');
  if (!Number.isSafeInteger(data.tableCount) || (data.tableCount as number) < 0)
    problems.push('tableCount is not a count of tables');
  const counts = data.rowCounts;
  if (
    typeof counts !== 'object' ||
    counts === null ||
    Array.isArray(counts) ||
    Object.values(counts).some(n => !Number.isSafeInteger(n) || n < 0)
  ) {
    problems.push('rowCounts is not a map of table names to counts');
  }
  if (data.flywayVersion !== null && typeof data.flywayVersion !== 'string') {
    problems.push('flywayVersion is neither a string nor null');
  }
  if (problems.length > 0) {
    throw refused(
      `manifest ${manifestKey} is not usable: ${problems.join('; ')}`,
    );
  }
  return data as BackupManifest;
}

/** Writes the manifest with the same server-side encryption as the dump. */
export async function writeManifest(
  s3Client: S3Client,
  s3: S3Config,
  manifest: BackupManifest,
): Promise<string> {
  const manifestKey = manifestKeyFor(manifest.key);
  try {
    await s3Client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: manifestKey,
        Body: `${JSON.stringify(manifest, null, 2)}\n`,
        ContentType: 'application/json',
        ServerSideEncryption: s3.sse,
        SSEKMSKeyId: s3.sse === 'aws:kms' ? s3.kmsKeyId : undefined,
      }),
    );
  } catch (e) {
    throw describeS3Error(e, s3, 'writing the manifest', manifestKey);
  }
  return manifestKey;
}

/**
 * Reads the manifest of the dump at `key`. A missing manifest means the dump never completed
 * (or is not ours): that is a refusal, never something to restore or verify against.
 */
export async function readManifest(
  s3Client: S3Client,
  s3: S3Config,
  key: string,
): Promise<BackupManifest> {
  const manifest = await readManifestIfAny(s3Client, s3, key);
  if (!manifest)
    throw refused(
      `s3://${
        s3.bucket
      }/${key} is not a complete backup: its manifest ${manifestKeyFor(
        key,
      )} does not exist (check BACKUP_FILE; an interrupted backup leaves no manifest; a dump made outside pg-backup is restored and verified with ADOPT_DUMP=true)`,
    );
  return manifest;
}

/** Reads the manifest of the dump at `key`, or undefined when it has none. */
export async function readManifestIfAny(
  s3Client: S3Client,
  s3: S3Config,
  key: string,
): Promise<BackupManifest | undefined> {
  const manifestKey = manifestKeyFor(key);
  let text: string;
  try {
    const result = await s3Client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: manifestKey }),
    );
    text = (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw describeS3Error(e, s3, 'reading the manifest', manifestKey);
  }
  return parseManifest(text, key);
}
