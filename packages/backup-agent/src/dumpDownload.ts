import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AgentError, refused, toAgentError } from './AgentError';
import type { AgentConfig } from './config';
import type { RunContext } from './runBackup';
import { describeS3Error, isNotFound } from './s3Access';

// Downloading a dump from S3 to a local file, hashed on the way for the checksum check.

/** Opens the dump object for reading; a missing object behind an existing manifest is refused. */
export async function openDumpObject(
  context: RunContext,
  config: AgentConfig,
  key: string,
): Promise<Readable> {
  const { s3 } = config;
  try {
    const object = await context.s3Client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: key }),
      { abortSignal: context.signal },
    );
    return object.Body as Readable;
  } catch (e) {
    if (isNotFound(e)) {
      throw refused(
        `s3://${s3.bucket}/${key} has a manifest but no dump object; check BACKUP_FILE`,
      );
    }
    throw describeS3Error(e, s3, 'downloading the dump', key);
  }
}

/** Downloads an object to a file while hashing it; returns size and hex SHA-256. */
export async function downloadWithHash(
  context: RunContext,
  config: AgentConfig,
  key: string,
  file: string,
): Promise<{ sizeBytes: number; sha256: string }> {
  const { s3 } = config;
  const body = await openDumpObject(context, config, key);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(body, hasher, fs.createWriteStream(file, { mode: 0o600 }), {
      signal: context.signal,
    });
  } catch (e) {
    if (context.signal.aborted && context.signal.reason instanceof AgentError) {
      throw context.signal.reason;
    }
    throw toAgentError(e, `downloading s3://${s3.bucket}/${key} to ${file}`);
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}
