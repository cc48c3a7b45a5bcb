import { S3Client } from '@aws-sdk/client-s3';
import {
  AgentError,
  errorCode,
  failed,
  firstLine,
  refused,
} from './AgentError';
import type { S3Config } from './config';

/** Creates the S3 client: path-style when S3_ENDPOINT is set, static keys when given. */
export function createS3Client(s3: S3Config): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.endpoint !== undefined,
    credentials: s3.credentials,
  });
}

/** Whether an S3 error means the object does not exist. */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  const status = (error as { $metadata?: { httpStatusCode?: number } })
    ?.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

/**
 * Turns an S3 SDK error into a one-line message naming the bucket/key and the likely remedy.
 * Bad configuration (no such bucket, unknown key id) is a refusal; the rest are failures.
 */
export function describeS3Error(
  error: unknown,
  s3: S3Config,
  doing: string,
  key?: string,
): AgentError {
  if (error instanceof AgentError) return error;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const where = key ? `s3://${s3.bucket}/${key}` : `s3://${s3.bucket}`;
  switch (name) {
    case 'NoSuchBucket':
      return refused(
        `${doing}: bucket "${s3.bucket}" does not exist (S3_BUCKET)${
          s3.endpoint ? ` at ${s3.endpoint}` : ` in ${s3.region}`
        }`,
        error,
      );
    case 'AccessDenied':
    case 'Forbidden':
      return failed(
        `${doing}: access denied to ${where}; the credentials need s3:GetObject, s3:PutObject, s3:ListBucket and s3:AbortMultipartUpload on it${
          s3.sse === 'aws:kms'
            ? ' (and kms:GenerateDataKey/kms:Decrypt on the key)'
            : ''
        }`,
        error,
      );
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
      return refused(
        `${doing}: S3 rejected the credentials (${name}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE variants)`,
        error,
      );
    case 'NoSuchKey':
    case 'NotFound':
      return refused(`${doing}: ${where} does not exist`, error);
    case 'CredentialsProviderError':
      return refused(
        `${doing}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or their _FILE variants) or give the pod an IAM role`,
        error,
      );
    default:
      break;
  }
  const code = errorCode(error);
  if (
    code &&
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET)$/.test(code)
  ) {
    return failed(
      `${doing}: cannot reach S3${
        s3.endpoint ? ` at ${s3.endpoint}` : ''
      } (${code}); check S3_ENDPOINT and the network`,
      error,
    );
  }
  return failed(
    `${doing} (${where}): ${name ? `${name}: ` : ''}${firstLine(error)}`,
    error,
  );
}
