import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AgentError, failed } from './AgentError';
import type { AgentLog } from './AgentLog';
import type { S3Config } from './config';
import { startDumpReader } from './dumpReader';
import { describeExit, withLargeOutputBuffer } from './pgTools';
import { describeS3Error } from './s3Access';

/** Multipart part size: bounds the memory the upload holds (partSize × (queueSize + 2)). */
export const PART_SIZE = 8 * 1024 * 1024;
/** Parts uploaded concurrently. */
export const QUEUE_SIZE = 2;

/** What {@link dumpToS3} needs. */
export interface DumpToS3Options {
  s3Client: S3Client;
  s3: S3Config;
  key: string;
  database: string;
  /** `pg_export_snapshot()` id of the transaction holding the facts. */
  snapshotId: string;
  /** Environment of pg_dump (see pgToolEnvironment). */
  pgEnv: NodeJS.ProcessEnv;
  /** Aborting stops pg_dump and the upload; its reason becomes the error. */
  signal: AbortSignal;
  log: AgentLog;
  /** The program to run; tests substitute a failing one. */
  pgDump?: string;
  /** `pg_dump -Z`, 0 to 9. */
  compression: number;
}

/** What was uploaded. */
export interface DumpResult {
  sizeBytes: number;
  sha256: string;
}

/**
 * When to print the next progress line: at 8 MiB (the first part is on its way), then at each
 * doubling, then every GiB, so a large dump logs a few dozen lines, not thousands.
 */
export function nextProgressAt(sizeBytes: number): number {
  const GIB = 1024 * 1024 * 1024;
  return Math.max(PART_SIZE, Math.min(2 * sizeBytes, sizeBytes + GIB));
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Aborts every multipart upload still open for exactly `key`. lib-storage aborts its own upload
 * when its body fails, but a request that was in flight when we gave up could still have created
 * one; this sweep is what guarantees no parts are left behind (and billed).
 */
export async function abortOpenUploads(
  s3Client: S3Client,
  bucket: string,
  key: string,
): Promise<number> {
  const listed = await s3Client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }),
  );
  let aborted = 0;
  for (const upload of listed.Uploads ?? []) {
    if (upload.Key !== key || !upload.UploadId) continue;
    await s3Client.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: upload.UploadId,
      }),
    );
    aborted += 1;
  }
  return aborted;
}

function spawnFailure(
  program: string,
  error: { code?: string; message: string },
): AgentError {
  return error.code === 'ENOENT'
    ? failed(
        `${program} was not found on PATH; install postgresql-client (15 or newer)`,
      )
    : failed(`could not run ${program}: ${error.message}`);
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : failed(String(reason));
}

/**
 * Streams `pg_dump -Fc --snapshot=<id>` through a SHA-256 hash and byte counter straight into a
 * multipart upload (no temporary file; memory stays at about partSize × queueSize). pg_dump runs
 * and is read in a worker thread ({@link startDumpReader}), so it never waits for the upload's
 * work on the main thread.
 *
 * The body stream only ends successfully once pg_dump has exited with 0, so a failed dump can
 * never complete the upload. On any failure (pg_dump, S3, the abort signal) pg_dump is killed,
 * the multipart upload is aborted, and the first cause is thrown.
 */
export async function dumpToS3(options: DumpToS3Options): Promise<DumpResult> {
  const { s3Client, s3, key, log, signal } = options;
  const program = options.pgDump ?? 'pg_dump';

  const dump = withLargeOutputBuffer(
    program,
    [
      '-Fc',
      `-Z${options.compression}`,
      `--snapshot=${options.snapshotId}`,
      '-d',
      options.database,
    ],
    options.pgEnv.PATH ?? process.env.PATH,
  );
  let nextProgress = PART_SIZE;
  const reader = startDumpReader({
    command: dump.command,
    args: dump.args,
    env: options.pgEnv,
    // room for one more part, so pg_dump keeps writing while both parts are being uploaded
    bufferBytes: PART_SIZE,
    // the upload may only complete once pg_dump has succeeded
    check: result => {
      if (result.spawnError) return spawnFailure(program, result.spawnError);
      if (result.exitCode !== 0) {
        return failed(
          `pg_dump of "${options.database}" failed (${describeExit(result)}): ${
            result.stderr.lastLine() || 'no error output'
          }`,
        );
      }
      return undefined;
    },
    onProgress: sizeBytes => {
      if (sizeBytes >= nextProgress) {
        log.info(`backup: ${mib(sizeBytes)} dumped`);
        nextProgress = nextProgressAt(sizeBytes);
      }
    },
  });
  const { body } = reader;
  // errors reach us through upload.done(); without a listener they would crash the process
  body.on('error', () => {});

  let failure: Error | undefined;
  const fail = (error: Error) => {
    if (failure) return;
    failure = error;
    reader.kill();
    body.destroy(error);
  };
  const onAbort = () => fail(asError(signal.reason));
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();

  const upload = new Upload({
    client: s3Client,
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    params: {
      Bucket: s3.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/octet-stream',
      ServerSideEncryption: s3.sse,
      SSEKMSKeyId: s3.sse === 'aws:kms' ? s3.kmsKeyId : undefined,
    },
  });

  try {
    await upload.done();
    if (failure) throw failure;
  } catch (e) {
    const cause = failure ?? (e instanceof Error ? e : asError(e));
    fail(cause);
    // stop anything lib-storage still has queued, then make sure no upload is left open
    await upload.abort();
    const { sizeBytes } = await reader.exited;
    log.info(
      `backup: stopped after ${mib(
        sizeBytes,
      )} dumped; multipart upload of ${key} aborted`,
    );
    // with no bucket there is nothing to sweep
    if ((cause as { name?: string }).name !== 'NoSuchBucket') {
      try {
        const swept = await abortOpenUploads(s3Client, s3.bucket, key);
        if (swept > 0) {
          log.info(
            `backup: aborted ${swept} open multipart upload(s) of ${key}`,
          );
        }
      } catch (sweepError) {
        log.warn(
          `backup: could not check for open multipart uploads of ${key}: ${
            (sweepError as Error).message
          }; a bucket lifecycle rule AbortIncompleteMultipartUpload cleans them up`,
        );
      }
    }
    throw cause instanceof AgentError
      ? cause
      : describeS3Error(cause, s3, 'uploading the dump', key);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const { sizeBytes, sha256 } = await reader.exited;
  return { sizeBytes, sha256 };
}
